package executor

import (
	"fmt"
	"testing"
)

func TestBaseEnv(t *testing.T) {
	got := BaseEnv([]string{"PATH=/bin", "SEMAFLOW_TOKEN=s3cret", "HOME=/root", "LC_ALL=C", "AWS_SECRET_ACCESS_KEY=k",
		"PATHX=no", "TMPDIR=/var/tmp", "weird"})
	if fmt.Sprint(got) != "[PATH=/bin HOME=/root LC_ALL=C TMPDIR=/var/tmp]" {
		t.Fatalf("BaseEnv kept %v", got)
	}
}
