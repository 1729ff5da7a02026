package main

import (
	"os/exec"
	"sync"
	"time"
)

// floorSpawns is how many spawns one floor measurement takes: enough to
// average over the scheduler, few enough (about 0.5–3 s) to repeat around
// every engine run.
const floorSpawns = 1000

// spawnFloor is Go's exec of /bin/true with par in flight, per spawn
// (perf-anchors §2).
func spawnFloor(par int) (time.Duration, error) {
	jobs := make(chan struct{}, floorSpawns)
	for range floorSpawns {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	start := time.Now()
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if err := exec.Command("/bin/true").Run(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start) / floorSpawns, first
}

// bracketFloor measures the floor before and after fn and returns their
// mean: the floor of the moment fn ran, not of the start of the session.
func bracketFloor(par int, fn func() error) (time.Duration, error) {
	before, err := spawnFloor(par)
	if err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	after, err := spawnFloor(par)
	return (before + after) / 2, err
}
