package executor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A step counts as supervised only while the very process that took it
// runs: not a later process with the same pid, not across a reboot.
func TestSupervisedChecksIdentityNotJustPid(t *testing.T) {
	me := selfIdentity()
	f := strings.Fields(me)
	if len(f) != 3 {
		t.Fatalf("identity %q: want pid, start time and boot id (is /proc mounted?)", me)
	}
	// A process that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	gone := cmd.Process.Pid
	cases := map[string]bool{
		me:                                     true,
		f[0]:                                   true,  // an older supervisor wrote its pid alone
		fmt.Sprintf("%s 1 %s", f[0], f[2]):     false, // same pid, another start: reused
		fmt.Sprintf("%s %s other", f[0], f[1]): false, // another boot
		fmt.Sprintf("%d %s %s", gone, f[1], f[2]): false,
		fmt.Sprint(gone): false,
		"":               false,
		"garbage":        false,
	}
	for id, want := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, PidFile), []byte(id), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := supervised(dir); got != want {
			t.Errorf("identity %q: supervised = %v, want %v", id, got, want)
		}
	}
	if supervised(t.TempDir()) {
		t.Error("a directory without a pid file counts as supervised")
	}
}
