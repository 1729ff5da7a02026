package spec

import (
	"strings"
	"testing"

	"github.com/semaflow/semaflow/api/wfv1"
)

// A lock name that would escape its namespace's key space ("../team-b/..."),
// or is not a name Kubernetes allows where Argo takes it from a ConfigMap or
// a namespace, is refused by lint at the field.
func TestLintRefusesBadLockNames(t *testing.T) {
	long := strings.Repeat("a", 254)
	cases := []struct{ name, sync, path string }{
		{"mutex with a path", `{mutexes: [{name: "../team-b/Mutex/bmutex"}]}`, "mutexes[0].name"},
		{"mutex with a slash", `{mutex: {name: "a/b"}}`, "mutex.name"},
		{"mutex with a newline", `{mutexes: [{name: "a\nb"}]}`, "mutexes[0].name"},
		{"mutex too long", `{mutexes: [{name: "` + long + `"}]}`, "mutexes[0].name"},
		{"mutex namespace with a path", `{mutexes: [{name: m, namespace: "../team-b"}]}`, "mutexes[0].namespace"},
		{"mutex namespace upper case", `{mutexes: [{name: m, namespace: "Team"}]}`, "mutexes[0].namespace"},
		{"database mutex with a slash", `{mutexes: [{name: "x/y", database: true}]}`, "mutexes[0].name"},
		{"database key with a slash", `{semaphores: [{database: {key: "../k"}}]}`, "semaphores[0].database.key"},
		{"configmap name with dots up", `{semaphores: [{configMapKeyRef: {name: "..", key: k}}]}`, "semaphores[0].configMapKeyRef.name"},
		{"configmap name upper case", `{semaphores: [{configMapKeyRef: {name: "My-Config", key: k}}]}`, "semaphores[0].configMapKeyRef.name"},
		{"configmap name too long", `{semaphores: [{configMapKeyRef: {name: "` + long + `", key: k}}]}`, "semaphores[0].configMapKeyRef.name"},
		{"configmap key with a space", `{semaphores: [{configMapKeyRef: {name: c, key: "a b"}}]}`, "semaphores[0].configMapKeyRef.key"},
		{"configmap key with a slash", `{semaphore: {configMapKeyRef: {name: c, key: "../x"}}}`, "semaphore.configMapKeyRef.key"},
		{"semaphore namespace", `{semaphores: [{configMapKeyRef: {name: c, key: k}, namespace: "a_b"}]}`, "semaphores[0].namespace"},
		{"mutex forging a token", `{mutexes: [{name: "x=7;default"}, {name: y}]}`, "mutexes[0].name"},
		{"database key with a ;", `{semaphores: [{database: {key: "k;x"}}]}`, "semaphores[0].database.key"},
		{"mutex of a space", `{mutexes: [{name: " "}]}`, "mutexes[0].name"},
		{"mutex with a trailing space", `{mutex: {name: "m1 "}}`, "mutex.name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := lintString(t, wfHeader+`spec:
  entrypoint: main
  synchronization: `+c.sync+`
  templates:
  - {name: main, container: {image: a, command: ["true"]}}
`)
			want := "spec.synchronization." + c.path
			for _, d := range ds {
				if d.Severity == SeverityError && d.Path == want {
					return
				}
			}
			t.Fatalf("want an error at %s; got:\n%v", want, ds)
		})
	}
}

// After substitution, the same rules: a parameter cannot smuggle a path
// or a bad name into a lock key.
func TestCheckResolvedSyncRefusesBadNames(t *testing.T) {
	bad := []*wfv1.Synchronization{
		{Mutexes: []*wfv1.Mutex{{Name: "../team-b/Mutex/bmutex"}}},
		{Mutexes: []*wfv1.Mutex{{Name: "m", Namespace: "team-b/x"}}},
		{Mutexes: []*wfv1.Mutex{{Name: "a\x00b"}}},
		{Semaphores: []*wfv1.SemaphoreRef{{Database: &wfv1.SyncDatabaseRef{Key: "a/b"}}}},
		{Semaphores: []*wfv1.SemaphoreRef{{ConfigMapKeyRef: &wfv1.ConfigMapKeySelector{Name: "UPPER", Key: "k"}}}},
		{Semaphores: []*wfv1.SemaphoreRef{{ConfigMapKeyRef: &wfv1.ConfigMapKeySelector{Name: "c", Key: "a:b"}}}},
		{Semaphores: []*wfv1.SemaphoreRef{{ConfigMapKeyRef: &wfv1.ConfigMapKeySelector{Name: "c", Key: "k"}, Namespace: "-x"}}},
		{Mutexes: []*wfv1.Mutex{{Name: "x=7;default"}}},
		{Mutexes: []*wfv1.Mutex{{Name: " m"}}},
	}
	for _, s := range bad {
		if err := CheckResolvedSync(s, "spec.synchronization"); err == nil || !strings.Contains(err.Error(), "spec.synchronization.") {
			t.Errorf("%+v: %v, want an error naming the field", s, err)
		}
	}
	good := &wfv1.Synchronization{
		Mutexes:    []*wfv1.Mutex{{Name: "Team A mutex-1.x_y", Namespace: "team-a"}},
		Semaphores: []*wfv1.SemaphoreRef{{ConfigMapKeyRef: &wfv1.ConfigMapKeySelector{Name: "my-config.v1", Key: "Work_flow.1-x"}}},
	}
	if err := CheckResolvedSync(good, "spec.synchronization"); err != nil {
		t.Errorf("good names refused: %v", err)
	}
}
