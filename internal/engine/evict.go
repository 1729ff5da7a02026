package engine

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/diskroom"
	"github.com/semaflow/semaflow/internal/domain"
	"github.com/semaflow/semaflow/internal/executor"
)

// Eviction under disk pressure, as the kubelet evicts pods: a step's
// writable volumes (a workflow's claims, its own emptyDirs) are
// directories in the data directory, so a step can fill the filesystem
// that also holds the step data and, by default, the database. While
// such steps run, the engine looks at that filesystem's free room every
// evictEvery; below the reserve (diskroom.Reserve) it kills them, and a
// step that ends while the room is below it fails the same way: what it
// wrote was cut short by ENOSPC, and going on would only fill the disk
// again. The kill's reason names the volume that holds the most and how
// much, so the operator knows what to delete. Deleting the workflow
// removes its volumes and so gives the room back.

// evictEvery is how often the data directory's room is measured while a
// step with a writable volume runs (a statfs: cheap).
const evictEvery = 250 * time.Millisecond

// maxWalk bounds the files counted to size a volume for the message.
const maxWalk = 100_000

// evictee is a running step with writable volumes in the data directory.
type evictee struct {
	workflow string // namespace/name
	vols     []evictVol
	reason   string // set once it was evicted
	// running says its process may write: it reported started, or it has
	// a readinessProbe (it reports started only once ready, and may fill
	// its volumes before). waiting says it waits to start (its disk has no
	// room for its files). Only a running step that does not wait has
	// written anything, so only it is evicted.
	running, waiting bool
}

type evictVol struct{ name, dir string }

// evictor follows the running steps that have writable volumes.
type evictor struct {
	mu       sync.Mutex
	steps    map[string]*evictee // by step key
	watching bool
}

// watchVolumes follows a step whose mounts include writable
// volumes; dir is its step directory (where its emptyDirs are), and
// probed says it has a readinessProbe.
func (e *Engine) watchVolumes(key string, wf *wfv1.Workflow, mounts []executor.Mount, dir string, probed bool) {
	var vols []evictVol
	for _, m := range mounts {
		if m.ReadOnly {
			continue
		}
		d := m.Dir
		if d == "" {
			d = filepath.Join(dir, executor.VolumesDir, m.Volume)
		}
		vols = append(vols, evictVol{name: m.Volume, dir: d})
	}
	if len(vols) == 0 {
		return
	}
	v := &e.evict
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.steps == nil {
		v.steps = map[string]*evictee{}
	}
	v.steps[key] = &evictee{workflow: wf.Metadata.Namespace + "/" + wf.Metadata.Name, vols: vols, running: probed}
	if !v.watching {
		v.watching = true
		go e.watchRoom()
	}
}

// volumesWaiting notes whether the step with key, if followed, waits to
// start.
func (e *Engine) volumesWaiting(key string, waiting bool) {
	v := &e.evict
	v.mu.Lock()
	defer v.mu.Unlock()
	if s := v.steps[key]; s != nil {
		s.waiting = waiting
	}
}

// volumesStarted notes that the step with key, if followed, started.
func (e *Engine) volumesStarted(key string) {
	v := &e.evict
	v.mu.Lock()
	defer v.mu.Unlock()
	if s := v.steps[key]; s != nil {
		s.running, s.waiting = true, false
	}
}

// unwatchVolumes stops following the step with key, which never started.
func (e *Engine) unwatchVolumes(key string) {
	v := &e.evict
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.steps, key)
}

// watchRoom measures the data directory's room while a followed step
// runs, and evicts them all when it is below the reserve. It ends when
// none is left, or the engine detached.
func (e *Engine) watchRoom() {
	t := time.NewTicker(evictEvery)
	defer t.Stop()
	for range t.C {
		v := &e.evict
		v.mu.Lock()
		if len(v.steps) == 0 || e.detached.Load() {
			v.watching = false
			v.mu.Unlock()
			return
		}
		var keys []string
		for k, s := range v.steps {
			if s.reason == "" && s.running && !s.waiting {
				keys = append(keys, k)
			}
		}
		v.mu.Unlock()
		if len(keys) == 0 {
			continue
		}
		room, ok := diskroom.Of(e.dataDir)
		if !ok || !room.Low() {
			continue
		}
		sort.Strings(keys)
		for _, k := range keys {
			if reason := e.markEvicted(k, room); reason != "" {
				e.log.Warn("evicting a step: the data directory's filesystem is full", "step", k, "reason", reason)
				e.exec.Kill(k, reason)
			}
		}
	}
}

// markEvicted records that the step with key is evicted and says why
// ("" if it is no longer followed). The volumes are sized without the
// lock held.
func (e *Engine) markEvicted(key string, room diskroom.Room) string {
	v := &e.evict
	v.mu.Lock()
	s := v.steps[key]
	v.mu.Unlock()
	if s == nil {
		return ""
	}
	reason := e.evictReason(s, room)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.steps[key] != s {
		return ""
	}
	s.reason = reason
	return reason
}

// stepEnded stops following the step with key; a step that ends while
// the data directory's room is below the reserve, or that was evicted,
// is failed as evicted (its result's Killed says why), unless something
// else already killed it.
func (e *Engine) stepEnded(key string, res *domain.StepResult) {
	v := &e.evict
	v.mu.Lock()
	s := v.steps[key]
	delete(v.steps, key)
	v.mu.Unlock()
	if s == nil || res == nil {
		return
	}
	if s.reason != "" {
		// Evicted, and its process is gone now.
		e.reserveForEviction()
	}
	if res.Killed != "" || res.StartError != "" || s.reason == "" && (!s.running || s.waiting) {
		return
	}
	reason := s.reason
	if reason == "" {
		room, ok := diskroom.Of(e.dataDir)
		if !ok || !room.Low() {
			return
		}
		reason = e.evictReason(s, room)
		e.reserveForEviction() // it ended with the disk full
	}
	res.Killed = reason
}

// reserveForEviction gives up the store's reserve once an evicted step
// has ended, if the reserve is on the data directory's filesystem: that
// disk is full now, not at the next store write that fails. The store's
// writes may all find room in WAL pages it reuses, while the step its
// locks pass to needs new files; so the reserve goes for the evicted
// step's end and the start of the steps waiting for its locks. Not
// before the step ended: it would fill the room again.
func (e *Engine) reserveForEviction() {
	if e.reserver == nil || !sameFilesystem(e.dataDir, e.reserver.ReserveDir()) {
		return
	}
	e.giveUpReserve("the evicted steps' ends and the start of the steps their locks pass to")
}

// evictReason names the step's volume that holds the most.
func (e *Engine) evictReason(s *evictee, room diskroom.Room) string {
	best, most := s.vols[0].name, int64(-1)
	for _, vol := range s.vols {
		if n := diskUse(vol.dir); n > most {
			best, most = vol.name, n
		}
	}
	return fmt.Sprintf("evicted: the data directory's filesystem is full (ENOSPC): volume %q of workflow %s holds %s (%s free on %s, under its %s reserve)",
		best, s.workflow, size(most), size(int64(room.Free)), e.dataDir, size(int64(diskroom.Reserve(room.Size))))
}

// diskUse is the room the files under dir take (the first maxWalk).
func diskUse(dir string) int64 {
	var n int64
	seen := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if seen++; seen > maxWalk {
			return filepath.SkipAll
		}
		if info, err := d.Info(); err == nil {
			n += allocated(info)
		}
		return nil
	})
	return n
}

// size says n bytes in the unit a person reads.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d kB", n>>10)
	}
	return fmt.Sprintf("%d B", max(n, 0))
}
