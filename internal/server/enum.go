package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Argo's gateway reads an enum from its name or its number, and the argo
// CLI writes numbers, leaving the zero value out. These read both forms;
// a field that is absent is the enum's zero.

// syncTypes are Argo's SyncConfigType names, indexed by number.
var syncTypes = []string{"CONFIGMAP", "DATABASE"}

// enumOf reads an enum from a JSON value (a name, or its number) into its
// number. raw empty or null is the zero value.
func enumOf(raw json.RawMessage, field string, names []string) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var name string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &name); err != nil {
			return 0, fmt.Errorf("%s: %w", field, err)
		}
	} else {
		name = string(raw)
	}
	return enumParam(name, field, names)
}

// enumParam reads an enum from a query parameter: a name or its number;
// "" is the zero value.
func enumParam(v, field string, names []string) (int, error) {
	if v == "" {
		return 0, nil
	}
	for i, n := range names {
		if v == n || v == strconv.Itoa(i) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s must be one of %v or its number 0-%d, not %.40q", field, names, len(names)-1, v)
}

// int32Of reads an int32 field, absent or null being 0. Like Argo's
// decoder it takes a JSON number only: a string or a fraction is refused,
// naming the field.
func int32Of(raw json.RawMessage, field string) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 32)
	if err != nil || n < math.MinInt32 {
		return 0, fmt.Errorf("%s must be a 32-bit integer, not %.40s", field, raw)
	}
	return int(n), nil
}
