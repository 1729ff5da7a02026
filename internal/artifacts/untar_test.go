package artifacts

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name, body, link string
	typ              byte
}

func writeTgz(t *testing.T, entries []entry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "a.tgz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := errors.Join(tw.Close(), zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUntarFileAndDirectory(t *testing.T) {
	file := writeTgz(t, []entry{{name: "hello.txt", body: "hi", typ: tar.TypeReg}})
	if ok, err := IsTarGz(file); !ok || err != nil {
		t.Fatalf("IsTarGz = %v, %v", ok, err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := Untar(file, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "hi" {
		t.Fatalf("file: %q", b)
	}
	dir := writeTgz(t, []entry{{name: "d/", typ: tar.TypeDir}, {name: "d/sub/x", body: "x", typ: tar.TypeReg}, {name: "d/l", link: "/etc/passwd", typ: tar.TypeSymlink}})
	dst = filepath.Join(t.TempDir(), "out")
	if err := Untar(dir, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "sub", "x")); string(b) != "x" {
		t.Fatalf("sub/x: %q", b)
	}
	if l, _ := os.Readlink(filepath.Join(dst, "l")); l != "/etc/passwd" {
		t.Fatalf("link: %q", l)
	}
}

// An archive is data from a repository: names that climb out, writes
// through a link it made, and hard links never reach outside dst.
func TestUntarRefusesEscapes(t *testing.T) {
	outside := t.TempDir()
	for name, entries := range map[string][]entry{
		"dot-dot":      {{name: "../evil", body: "x", typ: tar.TypeReg}},
		"absolute":     {{name: "/evil", body: "x", typ: tar.TypeReg}},
		"through link": {{name: "d/", typ: tar.TypeDir}, {name: "d/l", link: outside, typ: tar.TypeSymlink}, {name: "d/l/evil", body: "x", typ: tar.TypeReg}},
		"hard link":    {{name: "d/", typ: tar.TypeDir}, {name: "d/h", link: "/etc/passwd", typ: tar.TypeLink}},
		"two tops":     {{name: "a", body: "x", typ: tar.TypeReg}, {name: "b", body: "x", typ: tar.TypeReg}},
	} {
		t.Run(name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out")
			if err := Untar(writeTgz(t, entries), dst); err == nil {
				t.Fatal("unpacked")
			}
			if _, err := os.Stat(filepath.Join(outside, "evil")); err == nil {
				t.Fatal("wrote outside dst")
			}
		})
	}
}

// Fetch unpacks an archived artifact and picks subPath in it, or in a
// tree stored unarchived; a link on the way to subPath is not taken.
func TestFetchSubPath(t *testing.T) {
	ctx := context.Background()
	l, _ := openTestRepo(t)
	tgz := writeTgz(t, []entry{{name: "d/", typ: tar.TypeDir}, {name: "d/a/b.txt", body: "deep", typ: tar.TypeReg},
		{name: "d/up", link: "/", typ: tar.TypeSymlink}})
	if err := l.Save(ctx, "wf/p/d.tgz", tgz); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "o")
	if err := Fetch(ctx, l, "wf/p/d.tgz", "a/b.txt", dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "deep" {
		t.Fatalf("got %q", b)
	}
	err := Fetch(ctx, l, "wf/p/d.tgz", "up/etc/passwd", filepath.Join(t.TempDir(), "o"))
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("subPath through a link: %v", err)
	}
	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "x", "y"), "plain")
	if err := l.Save(ctx, "wf/p/tree", tree); err != nil {
		t.Fatal(err)
	}
	dst = filepath.Join(t.TempDir(), "o")
	if err := Fetch(ctx, l, "wf/p/tree", "x/y", dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "plain" {
		t.Fatalf("got %q", b)
	}
	if err := Fetch(ctx, l, "wf/p/tree", "nope", filepath.Join(t.TempDir(), "o")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing subPath: %v", err)
	}
}
