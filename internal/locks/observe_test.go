package locks

import "testing"

func TestLockOf(t *testing.T) {
	cases := []struct {
		key   string
		mutex bool
		want  Lock
	}{
		{"default/ConfigMap/limits/db", false, Lock{Type: "semaphore", Storage: "configmap", Name: "limits/db", Namespace: "default"}},
		{"team-a/Mutex/gpu", true, Lock{Type: "mutex", Storage: "configmap", Name: "gpu", Namespace: "team-a"}},
		{"default/Database/seats", false, Lock{Type: "semaphore", Storage: "database", Name: "seats", Namespace: "default"}},
		{"default/DatabaseMutex/one", false, Lock{Type: "mutex", Storage: "database", Name: "one", Namespace: "default"}},
		{"semaflow/Engine/parallelism", false, Lock{Type: "semaphore", Storage: "engine", Name: "parallelism", Namespace: "semaflow"}},
		{"odd", false, Lock{Type: "semaphore", Storage: "unknown", Name: "odd"}},
	}
	for _, c := range cases {
		c.want.Key = c.key
		if got := LockOf(c.key, c.mutex); got != c.want {
			t.Errorf("LockOf(%q, %v) = %+v, want %+v", c.key, c.mutex, got, c.want)
		}
	}
}
