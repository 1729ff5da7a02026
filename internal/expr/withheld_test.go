package expr

import (
	"strings"
	"testing"
	"time"
)

// An expression runs inside the server: it must not read the server's
// environment (where its secrets are), look names up from it, or spend
// seconds of its CPU per call. Each is refused, at lint (Check) and at
// run time, with an error naming the function; reached by a computed
// name, the function is simply not there.
func TestExpressionsCannotReachTheServer(t *testing.T) {
	t.Setenv("SEMAFLOW_TEST_SECRET", "hunter2")
	for _, c := range []struct{ name, code string }{
		{"env", `sprig.env("SEMAFLOW_TEST_SECRET")`},
		{"expandenv", `sprig.expandenv("$SEMAFLOW_TEST_SECRET")`},
		{"getHostByName", `sprig.getHostByName("localhost")`},
		{"genPrivateKey", `len(map(1..100000, {sprig.genPrivateKey("rsa")}))`},
		{"derivePassword", `sprig.derivePassword(1, "long", "password", "user", "example.com")`},
		{"bcrypt", `sprig.bcrypt("x")`},
	} {
		name, code := c.name, c.code
		if err := Check(code); err == nil || !strings.Contains(err.Error(), "sprig."+name) {
			t.Errorf("Check(%s) = %v, want an error naming sprig.%s", code, err, name)
		}
		start := time.Now()
		out, err := Eval(code, Scope{})
		if err == nil || !strings.Contains(err.Error(), "sprig."+name) {
			t.Errorf("Eval(%s) = %q, %v; want an error naming sprig.%s", code, out, err, name)
		}
		if strings.Contains(out, "hunter2") || (err != nil && strings.Contains(err.Error(), "hunter2")) {
			t.Errorf("Eval(%s) leaked the server's environment: %q, %v", code, out, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Eval(%s) took %v", code, d)
		}
	}
	for _, code := range []string{`sprig["env"]("SEMAFLOW_TEST_SECRET")`, `sprig["exp" + "andenv"]("$SEMAFLOW_TEST_SECRET")`} {
		out, err := Eval(code, Scope{})
		if err == nil || strings.Contains(out, "hunter2") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Eval(%s) = %q, %v; want an error and no secret", code, out, err)
		}
	}
	// The rest of sprig is still there.
	if out, err := Eval(`sprig.upper("ok") + sprig.sha256sum("a")[:4]`, Scope{}); err != nil || out != "OKca97" {
		t.Errorf("ordinary sprig: %q, %v", out, err)
	}
}

// An evaluation is bounded in time too: each call below hashes a value
// of megabytes, within every memory bound, and half a million of them would
// hold a core of the server for hours. It stops past MaxEvalTime with an
// error saying so.
func TestExpressionTimeIsBounded(t *testing.T) {
	scope := Scope{"big": strings.Repeat("a", 3<<20)}
	start := time.Now()
	_, err := Eval(`all(1..500000, sprig.sha256sum(big) != "")`, scope)
	if took := time.Since(start); took > MaxEvalTime+2*time.Second {
		t.Errorf("took %v, want about %v", took, MaxEvalTime)
	}
	if err == nil || !strings.Contains(err.Error(), "time limit") || !strings.Contains(err.Error(), "sha256sum") {
		t.Errorf("err = %v, want the time limit, naming the expression", err)
	}
}

// Nor can loops without calls (nested over one range, which the memory
// bound does not count again) or one call whose time grows with the
// square of its list hold the server: the first stops at the time limit,
// the second is refused at once.
func TestExpressionLoopsAndQuadraticCallsAreBounded(t *testing.T) {
	for _, c := range []struct{ code, want string }{
		{`let r = 1..1000; all(r, all(r, all(r, # == 0 || true)))`, "time limit"},
		{`len(sprig.uniq(sprig.until(60000)))`, "grows with the square"},
		{`len(sprig.without(sprig.until(60000), 1))`, "grows with the square"},
	} {
		start := time.Now()
		_, err := Eval(c.code, Scope{})
		if took := time.Since(start); took > MaxEvalTime+2*time.Second {
			t.Errorf("%s: took %v", c.code, took)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.code, err, c.want)
		}
	}
	// Ordinary loops still work.
	if out, err := Eval(`len(filter(1..1000, # % 7 == 0)) + len(sprig.uniq([1, 1, 2]))`, Scope{}); err != nil || out != "144" {
		t.Errorf("ordinary loops: %q, %v", out, err)
	}
}
