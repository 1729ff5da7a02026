package domain

import (
	"errors"
	"reflect"
	"testing"
)

func TestLockRequestRoundTrip(t *testing.T) {
	r := LockRequest{Holder: "default/wf/wf-123", Priority: -3, Locks: []string{"default/Mutex/a", "default/ConfigMap/cm/k"}}
	got, err := ParseLockRequest(FormatLockRequest(r))
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, r)
	}
	for _, bad := range []string{"", "h priority x locks a", "h priority 1 locks", "h prio 1 locks a"} {
		if _, err := ParseLockRequest(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseLockRequest(%q) = %v, want ErrBadKey", bad, err)
		}
	}
}
