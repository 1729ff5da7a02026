package executor

import (
	"os"
	"path/filepath"
	"testing"
)

// A template with no workingDir runs in the step's working directory,
// which stands for its image's: an absolute output path in the image's
// working directory that the step left by its relative name (python's
// `open("result.txt")` for `/result.txt`, in an image whose working
// directory is /) is read from the step's working directory. What is at
// the path itself wins; a template's own workingDir, or an image whose
// working directory is unknown, has no stand-in.
func TestOutputInTheImagesWorkingDirectory(t *testing.T) {
	work, img := t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(work, "x"), filepath.Join(work, "y"), filepath.Join(work, "sub", "z"), filepath.Join(img, "x"),
		filepath.Join(work, "sf-imagework-test.txt")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wd, err := os.Open(work)
	if err != nil {
		t.Fatal(err)
	}
	defer wd.Close()
	v := stepView{work: work, workDir: wd, workPath: work}
	if _, err := os.Stat("/sf-imagework-test.txt"); err == nil {
		t.Skip("the host has /sf-imagework-test.txt")
	}
	for _, c := range []struct {
		imageWD, workingDir, path, want string
	}{
		{"/", "", "/sf-imagework-test.txt", filepath.Join(work, "sf-imagework-test.txt")},
		{"/", "", "/sf-imagework-absent.txt", "/sf-imagework-absent.txt"},
		{img, "", filepath.Join(img, "x"), filepath.Join(img, "x")},
		{img, "", filepath.Join(img, "y"), filepath.Join(work, "y")},
		{img, "", filepath.Join(img, "sub", "z"), filepath.Join(work, "sub", "z")},
		{img, "", img, img},
		{img, "/src", filepath.Join(img, "y"), filepath.Join(img, "y")},
		{"", "", filepath.Join(img, "y"), filepath.Join(img, "y")},
		{"relative", "", "/sf-imagework-test.txt", "/sf-imagework-test.txt"},
	} {
		got, err := v.outputPath(&Spec{ImageWorkDir: c.imageWD, WorkingDir: c.workingDir}, c.path)
		if err != nil || got != c.want {
			t.Errorf("image working directory %q, workingDir %q, path %s: %q, %v; want %q", c.imageWD, c.workingDir, c.path, got, err, c.want)
		}
	}
}
