package main

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"runtime"
	"sync"
)

// burn is the CPU-bound load run beside the loaded handoff: one hashing
// goroutine per core, until killed.
func burn() {
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<16)
			for {
				s := sha256.Sum256(buf)
				buf[0] = s[0]
			}
		}()
	}
	wg.Wait()
}

// startBurner starts this program again as the load; stop kills it.
func startBurner() (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-burn")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}, nil
}
