package spec

import (
	"errors"
	"strings"
	"testing"
)

func TestSelector(t *testing.T) {
	set := map[string]string{"team": "a", "tier": "db", "empty": ""}
	get := func(k string) (string, bool) { v, ok := set[k]; return v, ok }
	cases := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"team=a", true},
		{"team==a", true},
		{"team=b", false},
		{"team!=b", true},
		{"missing!=b", true},
		{"team=a,tier=db", true},
		{"team=a, tier=web", false},
		{"tier in (db, web)", true},
		{"tier notin (db,web)", false},
		{"missing notin (db)", true},
		{"team", true},
		{"!team", false},
		{"!missing", true},
		{"empty=", true},
	}
	for _, c := range cases {
		s, err := ParseSelector(c.sel, nil)
		if err != nil {
			t.Errorf("%q: %v", c.sel, err)
			continue
		}
		if got := s.Matches(get); got != c.want {
			t.Errorf("%q matches %v, want %v", c.sel, got, c.want)
		}
	}
}

func TestSelectorErrors(t *testing.T) {
	only := func(k string) error {
		if k != "name" {
			return errors.New("field " + k + " is unknown")
		}
		return nil
	}
	cases := []struct {
		sel   string
		field func(string) error
		want  string
	}{
		{"tier in db", nil, "go in parentheses"},
		{"a b=c", nil, "not a valid key"},
		{"=c", nil, "not a valid key"},
		{"colour=red", only, "field colour is unknown"},
		{"name in (a)", only, "fields take only"},
		{"name", only, "fields take only"},
	}
	for _, c := range cases {
		_, err := ParseSelector(c.sel, c.field)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.sel) {
			t.Errorf("%q: error %v, want one naming the term and saying %q", c.sel, err, c.want)
		}
	}
}
