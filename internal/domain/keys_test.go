package domain

import (
	"errors"
	"testing"
)

func TestParseLockKey(t *testing.T) {
	good := map[string]LockKey{
		"default/ConfigMap/limits/db":          {Namespace: "default", Kind: LockConfigMap, Name: "limits", Key: "db"},
		"team-a/Mutex/gpu":                     {Namespace: "team-a", Kind: LockMutex, Name: "gpu"},
		"default/Database/seats":               {Namespace: "default", Kind: LockDatabase, Name: "seats"},
		"default/DatabaseMutex/one":            {Namespace: "default", Kind: LockDatabaseMutex, Name: "one"},
		"semaflow/Engine/parallelism":          {Namespace: "semaflow", Kind: LockEngine, Name: "parallelism"},
		"ns/Engine/namespace-parallelism":      {Namespace: "ns", Kind: LockEngine, Name: "namespace-parallelism"},
		"default/ConfigMap/my-config/wf.limit": {Namespace: "default", Kind: LockConfigMap, Name: "my-config", Key: "wf.limit"},
	}
	for s, want := range good {
		got, err := ParseLockKey(s)
		if err != nil || got != want {
			t.Errorf("ParseLockKey(%q) = %+v, %v; want %+v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("ParseLockKey(%q).String() = %q", s, got.String())
		}
	}
	for _, s := range []string{"", "odd", "ns/Mutex", "ns/Mutex/", "/Mutex/m", "ns/Mutex/a/b",
		"ns/ConfigMap/cm", "ns/ConfigMap/cm/", "ns/ConfigMap//k", "ns/ConfigMap/cm/k/x", "ns/Semaphore/x", "ns//x"} {
		if k, err := ParseLockKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseLockKey(%q) = %+v, %v; want ErrBadKey", s, k, err)
		}
	}
}

func TestParseHolderKey(t *testing.T) {
	good := map[string]HolderKey{
		"default/wf":            {Namespace: "default", Workflow: "wf"},
		"default/wf/wf-1234567": {Namespace: "default", Workflow: "wf", NodeID: "wf-1234567"},
	}
	for s, want := range good {
		got, err := ParseHolderKey(s)
		if err != nil || got != want {
			t.Errorf("ParseHolderKey(%q) = %+v, %v; want %+v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("ParseHolderKey(%q).String() = %q", s, got.String())
		}
		if !got.Of("default", "wf") || got.Of("default", "w") || got.Of("other", "wf") {
			t.Errorf("%q: Of is wrong", s)
		}
	}
	for _, s := range []string{"", "default", "default/", "/wf", "default/wf/", "default//n"} {
		if k, err := ParseHolderKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseHolderKey(%q) = %+v, %v; want ErrBadKey", s, k, err)
		}
	}
}

func TestParseStepKey(t *testing.T) {
	k, err := ParseStepKey("0b5e-uid/wf-42")
	if err != nil || k != (StepKey{WorkflowUID: "0b5e-uid", NodeID: "wf-42"}) || k.String() != "0b5e-uid/wf-42" {
		t.Errorf("ParseStepKey = %+v, %v", k, err)
	}
	for _, s := range []string{"", "uid", "uid/", "/node"} {
		if k, err := ParseStepKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseStepKey(%q) = %+v, %v; want ErrBadKey", s, k, err)
		}
	}
}

func TestGrantToken(t *testing.T) {
	g := Grant{Holder: "default/wf", Tokens: []Token{{Lock: "default/Mutex/a", Value: 3}, {Lock: "default/Mutex/b", Value: 9}}}
	if v, ok := g.Token("default/Mutex/b"); !ok || v != 9 {
		t.Errorf("Token(b) = %d, %v", v, ok)
	}
	if _, ok := g.Token("default/Mutex/c"); ok {
		t.Error("Token(c) found a lock not held")
	}
}

// Every key a parse accepts formats back to itself, so the string and the
// parts can never disagree.
func FuzzKeysRoundTrip(f *testing.F) {
	for _, s := range []string{"default/ConfigMap/cm/k", "ns/Mutex/m", "ns/wf", "ns/wf/node", "uid/node", "a//b", "a/b/c/d/e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParseLockKey(s); err == nil && k.String() != s {
			t.Errorf("lock key %q formats back as %q", s, k.String())
		}
		if k, err := ParseHolderKey(s); err == nil && k.String() != s {
			t.Errorf("holder key %q formats back as %q", s, k.String())
		}
		if k, err := ParseStepKey(s); err == nil && k.String() != s {
			t.Errorf("step key %q formats back as %q", s, k.String())
		}
	})
}
