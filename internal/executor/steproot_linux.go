package executor

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// A step root is a root directory of the step's own, DIR/root on the
// host, that a step with a private /tmp is chrooted into (as root, or by
// the step init as the step user). Each entry
// of the host's / is bound (or, for a link, copied) there by name, so the
// step sees the host as before; what differs is what Argo's container
// would have and the host must not get:
//   - /argosay, for argosay images, whose shells call it by that path;
//   - an output path outside /tmp and the working directory: room for
//     it, where the step makes the directories the host lacks (/output
//     for /output/x), as in an image that lacks them; for a step user,
//     its directory made, the user's; but under a step user's own
//     scratch tmpfs (/var/tmp);
//   - a workingDir the host lacks (an image's own directory, /src);
//   - each volume's mount point, where the volume is then bound
//     (volumes_linux.go).
//
// Such a path's nearest existing directory on the host (`/` for
// `/output`, `/usr` for `/usr/x/out`) is shadowed: the step sees a
// directory of its own there (DIR/root, or DIR/mounts/N) into which every
// host entry is bound by name but the one the path needs, which is the
// step's. So nothing of the host is hidden or written, a system directory
// included. A shadowed directory may hold at most maxShadowEntries.
//
// The kernel's filesystems (/proc, /sys, /dev, /dev/shm included) are
// never shadowed: an output there is refused, in every mode.
//
// Steps of one workflow therefore never share such paths, unlike in one
// Argo pod; volumes are the way to share them.

// kernelDirs hold the host's devices and kernel state: a step cannot
// have them of its own, so no output may lie there.
var kernelDirs = []string{"/proc", "/sys", "/dev"}

// maxShadowEntries bounds the binds a shadowed directory costs.
const maxShadowEntries = stepinit.MaxShadowEntries

// A step root as the supervisor plans it and the step init (or, without
// a step user, the spawning thread) builds it.
type (
	stepRoot = stepinit.Root
	shadow   = stepinit.Shadow
)

// declaredOutput is a path the step is to leave an output at, and what
// names it in messages (`output parameter "x"`).
type declaredOutput struct{ what, path string }

// declaredOutputs are every output path the template declares: each gets
// its place in the step's root before the step runs, and is read back
// through openOutput after.
func declaredOutputs(spec *Spec) []declaredOutput {
	out := make([]declaredOutput, 0, len(spec.Outputs)+len(spec.OutputArtifacts))
	for _, o := range spec.Outputs {
		out = append(out, declaredOutput{what: fmt.Sprintf("output parameter %q", o.Name), path: o.Path})
	}
	for _, a := range spec.OutputArtifacts {
		out = append(out, declaredOutput{what: fmt.Sprintf("output artifact %q", a.Name), path: a.Path})
	}
	return out
}

// checkOutputPaths refuses outputs under the kernel's filesystems.
func checkOutputPaths(spec *Spec) error {
	for _, o := range declaredOutputs(spec) {
		if k := kernelDir(filepath.Clean(o.path)); k != "" {
			return fmt.Errorf("%s: path %s lies under %s, which a step cannot have of its own: "+
				"write it under /tmp or the working directory", o.what, o.path, k)
		}
	}
	for _, in := range declaredInputs(spec) {
		if k := kernelDir(filepath.Clean(in.path)); k != "" {
			return fmt.Errorf("%s: path %s lies under %s, which a step cannot have of its own: "+
				"put it under /tmp or the working directory", in.what, in.path, k)
		}
	}
	return nil
}

// declaredInputs are every path the step's inputs are written to: its
// input artifacts, fetched or staged, and its raw ones (InputFiles, known
// by path only). Each outside /tmp is the step's own in its root, never
// the host's.
func declaredInputs(spec *Spec) []declaredOutput {
	out := make([]declaredOutput, 0, len(spec.InputArtifacts)+len(spec.InputFiles))
	for _, a := range spec.InputArtifacts {
		out = append(out, declaredOutput{what: fmt.Sprintf("input artifact %q", a.Name), path: a.Path})
	}
	for _, path := range slices.Sorted(maps.Keys(spec.InputFiles)) {
		out = append(out, declaredOutput{what: "input artifact at " + path, path: path})
	}
	return out
}

// scratchDir says whether path lies in a directory that a step run as the
// step user has as a tmpfs of its own (scratch_linux.go).
func scratchDir(path string) bool {
	return slices.ContainsFunc(stepinit.ScratchDirs, func(d string) bool { return isUnder(path, d) })
}

func kernelDir(path string) string {
	for _, k := range kernelDirs {
		if isUnder(path, k) {
			return k
		}
	}
	return ""
}

// planStepRoot says what the step's root needs, or nil when the step can
// do without one: not an argosay image, no output outside /tmp and its
// working directory, a workingDir the host has, and no volume. It makes the directories on the host; a workingDir of the
// step's is made whole, owned by user (nil: root).
func planStepRoot(dir string, spec *Spec, view stepView, user *StepUser) (*stepRoot, error) {
	p := &rootPlan{dir: dir, at: map[string]int{}}
	root := p.shadow("/")
	if spec.Argosay {
		root.Links = map[string]string{strings.TrimPrefix(argosayAt, "/"): progBin + "/argosay"}
	}
	wd := ""
	if spec.WorkingDir != "" {
		wd = filepath.Clean(spec.WorkingDir)
	}
	private := func(path string) bool {
		return !filepath.IsAbs(path) || path == "/" || isUnder(path, "/tmp") || isUnder(path, view.workPath)
	}
	mounts, err := checkMounts(dir, spec.Mounts)
	if err != nil {
		return nil, err
	}
	inVolume := func(path string) bool {
		return slices.ContainsFunc(mounts, func(m Mount) bool { return isUnder(path, m.Path) })
	}
	for _, o := range declaredOutputs(spec) {
		path := filepath.Clean(o.path)
		if private(path) || (wd != "" && isUnder(path, wd)) || inVolume(path) || (user != nil && scratchDir(path)) {
			continue
		}
		// Where the host lacks its directory (/mnt/out), the step gets
		// room to make it, not the directory: an image lacks it too, and
		// steps make it (os.mkdir("/mnt/out") fails on one that exists).
		// A step user cannot write in its copy of a root-owned directory,
		// and must not (a link it replaced there would be trusted by
		// setuid programs), so for it the directory is made, its own.
		at, isDir := path, false
		if _, err := os.Stat(filepath.Dir(path)); user != nil && errors.Is(err, fs.ErrNotExist) {
			at, isDir = filepath.Dir(path), true
		}
		if err := p.add(at, isDir, ""); err != nil {
			return nil, fmt.Errorf("%s: path %s: %w", o.what, o.path, err)
		}
	}
	for _, in := range declaredInputs(spec) {
		path := filepath.Clean(in.path)
		if private(path) || (wd != "" && isUnder(path, wd)) || inVolume(path) || (user != nil && scratchDir(path)) {
			continue
		}
		if err := p.add(path, false, ""); err != nil {
			return nil, fmt.Errorf("%s: path %s: %w", in.what, in.path, err)
		}
		p.inputs = append(p.inputs, path)
	}
	if wd != "" && !private(wd) {
		// One the step user cannot reach is its own too: that hides nothing
		// it could see.
		from := ""
		if user != nil {
			from = unreachable(wd, user.UID, user.GID)
		}
		if _, err := os.Stat(wd); from != "" || errors.Is(err, fs.ErrNotExist) {
			if err := p.add(wd, true, from); err != nil {
				return nil, fmt.Errorf("workingDir %s: %w", spec.WorkingDir, err)
			}
		}
	}
	var volumes []volumeBind
	for _, m := range mounts {
		if private(m.Path) {
			// Under the step's own /tmp or working directory: the mount
			// point is made there.
			if err := mkdirOwned(view.host(m.Path), user); err != nil {
				return nil, mountError(m, "%v", err)
			}
		} else if link, target := hostLink(m.Path); link != "" {
			return nil, mountError(m, "it lies through %s, a link on this host (to %s), which the step's root does not follow: "+
				"mount the volume at the link's target instead", link, target)
		} else if err := p.add(m.Path, true, ""); err != nil {
			return nil, mountError(m, "%v", err)
		}
		b, err := prepareVolume(dir, m, user)
		if err != nil {
			return nil, err
		}
		volumes = append(volumes, b)
	}
	if len(p.shadows) == 1 && len(p.shadows[0].Own) == 0 && len(p.shadows[0].Links) == 0 && len(volumes) == 0 {
		return nil, nil
	}
	r, err := p.make(user)
	if r != nil {
		r.Volumes, r.Inputs = volumes, p.inputs
	}
	return r, err
}

type rootPlan struct {
	dir     string
	shadows []shadow
	at      map[string]int // Seen -> index in shadows
	mkdirs  []string       // paths the step sees, made in its own directories
	inputs  []string       // input paths made the step's own
}

func (p *rootPlan) shadow(seen string) *shadow {
	i, ok := p.at[seen]
	if !ok {
		d := filepath.Join(p.dir, "root")
		if seen != "/" {
			d = filepath.Join(p.dir, "mounts", fmt.Sprint(len(p.shadows)))
		}
		i = len(p.shadows)
		p.at[seen] = i
		p.shadows = append(p.shadows, shadow{Seen: seen, Dir: d})
	}
	return &p.shadows[i]
}

// add makes path the step's: its first name below the nearest existing
// directory (from's parent, if from is set) becomes the step's own there.
// dir: path is a directory the step needs made.
func (p *rootPlan) add(path string, dir bool, from string) error {
	if k := kernelDir(path); k != "" {
		return fmt.Errorf("it lies under %s, which a step cannot have of its own", k)
	}
	parent := filepath.Dir(path)
	if from != "" {
		parent = filepath.Dir(from)
	}
	for parent != "/" { // bounded: one name shorter each time
		st, err := os.Stat(parent)
		if err == nil && st.IsDir() {
			break
		}
		if err == nil {
			return fmt.Errorf("%s is not a directory on the host", parent)
		}
		parent = filepath.Dir(parent)
	}
	rel, _ := stepinit.Under(path, parent)
	name, _, _ := strings.Cut(rel, "/")
	if st, err := os.Lstat(filepath.Join(parent, name)); err == nil && st.IsDir() && !dir {
		return fmt.Errorf("%s is a directory on the host", filepath.Join(parent, name))
	}
	if parent != "/" {
		f, err := os.Open(parent)
		if err != nil {
			return err
		}
		names, _ := f.Readdirnames(maxShadowEntries + 1)
		_ = f.Close()
		if len(names) > maxShadowEntries {
			return fmt.Errorf("%s has more than %d entries to show the step beside its own %s", parent, maxShadowEntries, name)
		}
	}
	s := p.shadow(parent)
	if !slices.Contains(s.Own, name) {
		s.Own = append(s.Own, name)
	}
	if dir {
		p.mkdirs = append(p.mkdirs, path)
	}
	return nil
}

// make creates the planned directories: each shadow as its host
// directory is (mode, owner), the step's own directories for user.
func (p *rootPlan) make(user *StepUser) (*stepRoot, error) {
	fail := func(err error) (*stepRoot, error) { return nil, fmt.Errorf("the step's own root: %w", err) }
	for _, s := range p.shadows {
		if err := os.MkdirAll(s.Dir, 0o755); err != nil {
			return fail(err)
		}
		if s.Seen == "/" {
			// Its mode exactly: the umask narrows what MkdirAll made, and
			// a step user must enter its root.
			if err := os.Chmod(s.Dir, 0o755); err != nil {
				return fail(err)
			}
			continue
		}
		st, err := os.Stat(s.Seen)
		if err != nil {
			return fail(err)
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return fail(fmt.Errorf("%s: no owner", s.Seen))
		}
		if err := os.Lchown(s.Dir, int(sys.Uid), int(sys.Gid)); err != nil {
			return fail(err)
		}
		if err := os.Chmod(s.Dir, st.Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid)); err != nil {
			return fail(err)
		}
	}
	r := &stepRoot{Shadows: p.shadows}
	slices.SortStableFunc(r.Shadows, func(a, b shadow) int { return cmp.Compare(depth(a.Seen), depth(b.Seen)) })
	for _, path := range p.mkdirs {
		host, ok := r.Host(path)
		if !ok {
			return fail(fmt.Errorf("%s has no place in the step's root", path))
		}
		if err := mkdirOwned(host, user); err != nil {
			return fail(err)
		}
	}
	return r, nil
}

// unreachable is the highest directory of path, path included, that
// uid:gid cannot search, or "" (a link or a missing name ends the look).
func unreachable(path string, uid, gid uint32) string {
	p := "/"
	for name := range strings.SplitSeq(strings.TrimPrefix(path, "/"), "/") {
		if name == "" {
			break
		}
		p = filepath.Join(p, name)
		var st syscall.Stat_t
		if syscall.Lstat(p, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			return ""
		}
		if !stepinit.Searchable(&st, uid, gid) {
			return p
		}
	}
	return ""
}

func depth(path string) int {
	if path == "/" {
		return 0
	}
	return strings.Count(path, "/")
}

// mkdirOwned makes path and any missing parent, each made one owned by
// user; the parents above are the supervisor's, made just now.
func mkdirOwned(path string, user *StepUser) error {
	var made []string
	for p := path; ; p = filepath.Dir(p) { // bounded by the path's depth
		if _, err := os.Lstat(p); err == nil || p == "/" || p == "." {
			break
		}
		made = append(made, p)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	for _, p := range made {
		if err := ownDir(p, 0o755, user); err != nil {
			return err
		}
	}
	return nil
}

// ownDir gives the directory path, never through a link, its mode
// exactly (the umask narrows what a mkdir makes) and, for user, its
// owner.
func ownDir(path string, mode uint32, user *StepUser) error {
	f, err := openOwnedDir(path, mode, true, user)
	if err != nil {
		return err
	}
	return f.Close()
}

func isUnder(path, dir string) bool {
	_, ok := stepinit.Under(path, filepath.Clean(dir))
	return ok && dir != ""
}

// hostLink is the first directory of path that is a link on the host,
// and its target, or "" (bounded by path's depth).
func hostLink(path string) (link, target string) {
	p := "/"
	for name := range strings.SplitSeq(strings.TrimPrefix(path, "/"), "/") {
		p = filepath.Join(p, name)
		st, err := os.Lstat(p)
		if err != nil {
			return "", ""
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			t, _ := os.Readlink(p)
			return p, t
		}
	}
	return "", ""
}
