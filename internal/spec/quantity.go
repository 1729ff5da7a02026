package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// quantitySuffixes are Kubernetes' binary and decimal suffixes, in bytes.
var quantitySuffixes = []struct {
	suffix string
	mult   float64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50}, {"Ei", 1 << 60},
	{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
}

// ParseBytes reads a Kubernetes quantity of bytes (`1Mi`, `500M`,
// `1073741824`), as an emptyDir's sizeLimit is written: at least one
// byte, at most 2^62.
func ParseBytes(v any) (int64, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		return 0, fmt.Errorf("%v: want a quantity such as 1Mi or 500M", v)
	}
	mult := 1.0
	for _, q := range quantitySuffixes {
		if n, ok := strings.CutSuffix(s, q.suffix); ok {
			s, mult = n, q.mult
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	b := f * mult
	if err != nil || math.IsNaN(b) || b < 1 || b > 1<<62 {
		return 0, fmt.Errorf("%v: want a quantity of bytes such as 1Mi or 500M, from 1 to 2^62", v)
	}
	return int64(math.Ceil(b)), nil
}
