package server_test

import (
	"strings"
	"testing"
)

// The argo CLI writes the sync type as the enum's number and leaves zero
// values out (`--type configmap` sends no type, `--limit 0` no limit);
// the gateway reads an enum from its name or its number, in bodies and
// in query parameters. Answers carry the number, as Argo's do, since the
// CLI decodes them into its int32 enum.
func TestAPISyncEnumsAsNamesOrNumbers(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/sync/default", `{"type":1,"namespace":"default","key":"db0"}`); code != 200 {
		t.Fatalf("create with type 1 and no limit: %d %v", code, out)
	}
	code, out := c.do("GET", "/api/v1/sync/default/db0?type=1", "")
	if code != 200 || out["type"] != float64(1) || out["limit"] != nil && out["limit"] != float64(0) {
		t.Fatalf("get ?type=1: %d %v, want type 1 and limit 0", code, out)
	}
	if code, out := c.do("PUT", "/api/v1/sync/default/db0", `{"type":"DATABASE","namespace":"default","key":"db0","limit":1}`); code != 200 {
		t.Fatalf("update with type DATABASE: %d %v", code, out)
	}
	if code, out := c.do("GET", "/api/v1/sync/default/db0?type=DATABASE", ""); code != 200 || out["limit"] != float64(1) {
		t.Fatalf("get ?type=DATABASE: %d %v", code, out)
	}
	// No type is CONFIGMAP, the enum's zero.
	if code, out := c.do("POST", "/api/v1/sync/default", `{"namespace":"default","cmName":"cm","key":"k","limit":2}`); code != 200 {
		t.Fatalf("create with no type: %d %v", code, out)
	}
	code, out = c.do("GET", "/api/v1/sync/default/k?cmName=cm&type=0", "")
	if code != 200 || out["limit"] != float64(2) || out["cmName"] != "cm" {
		t.Fatalf("get ?type=0: %d %v", code, out)
	}
	if code, out := c.do("DELETE", "/api/v1/sync/default/k?cmName=cm&type=CONFIGMAP", ""); code != 200 {
		t.Fatalf("delete ?type=CONFIGMAP: %d %v", code, out)
	}
	if code, _ := c.do("GET", "/api/v1/sync/default/k?cmName=cm", ""); code != 404 {
		t.Fatalf("deleted limit: %d, want 404", code)
	}
	// semaflow keeps database semaphores (their fencing tokens): a delete
	// is refused, saying how to pause one instead.
	if code, out := c.do("DELETE", "/api/v1/sync/default/db0?type=1", ""); code != 400 || !strings.Contains(out["message"].(string), "limit to 0") {
		t.Fatalf("delete ?type=1: %d %v", code, out)
	}
}

// Hostile sync bodies get a 400 that names the field, and change nothing.
func TestAPISyncBadValuesChangeNothing(t *testing.T) {
	c := startAPI(t)
	if code, out := c.do("POST", "/api/v1/sync/default", `{"type":1,"key":"db","limit":3}`); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	for _, tc := range []struct{ method, path, body, want string }{
		{"POST", "/api/v1/sync/default", `{"type":1,"key":"neg","limit":-1}`, "negative"},
		{"PUT", "/api/v1/sync/default/db", `{"type":1,"limit":-1}`, "negative"},
		{"POST", "/api/v1/sync/default", `{"type":1,"key":"str","limit":"abc"}`, "limit"},
		{"PUT", "/api/v1/sync/default/db", `{"type":1,"limit":"abc"}`, "limit"},
		{"PUT", "/api/v1/sync/default/db", `{"type":1,"limit":2.5}`, "limit"},
		{"PUT", "/api/v1/sync/default/db", `{"type":1,"limit":99999999999}`, "limit"},
		{"POST", "/api/v1/sync/default", `{"type":7,"key":"seven","limit":1}`, "type"},
		{"POST", "/api/v1/sync/default", `{"type":"database","key":"lower","limit":1}`, "type"},
		{"POST", "/api/v1/sync/default", `{"type":true,"key":"bool","limit":1}`, "type"},
		{"GET", "/api/v1/sync/default/db?type=9", "", "type"},
		{"DELETE", "/api/v1/sync/default/db?type=x", "", "type"},
	} {
		code, out := c.do(tc.method, tc.path, tc.body)
		msg, _ := out["message"].(string)
		if code != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s %s: %d %v, want 400 naming %q", tc.method, tc.path, tc.body, code, out, tc.want)
		}
	}
	if code, out := c.do("GET", "/api/v1/sync/default/db?type=1", ""); code != 200 || out["limit"] != float64(3) {
		t.Fatalf("after the refused requests: %d %v, want limit 3", code, out)
	}
	for _, k := range []string{"neg", "str", "seven", "lower", "bool"} {
		if code, _ := c.do("GET", "/api/v1/sync/default/"+k+"?type=1", ""); code != 404 {
			t.Errorf("refused create of %s left a limit: %d", k, code)
		}
	}
}
