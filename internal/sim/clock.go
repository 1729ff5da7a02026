package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// MaxTime is the end of the virtual clock: every arrival, hold and
// moment of a run lies within it. It is far inside what a Duration
// holds, so the sum of two times within it cannot overflow and every
// addition is checked against it instead.
const MaxTime = 100 * 365 * 24 * time.Hour

// pastTheEnd says that field's value v lies beyond the virtual clock.
func pastTheEnd(field string, v time.Duration) error {
	return fmt.Errorf("%s: %v is past the end of the virtual clock (%v, 100 years)", field, v, MaxTime)
}

// check refuses a distribution whose parameters lie beyond the clock;
// field names it in the error.
func (d *Dist) check(field string) error {
	type param struct {
		name string
		v    time.Duration
	}
	var params []param
	switch d.kind {
	case "uniform":
		params = []param{{"uniform max", d.Uniform[1]}}
	case "normal":
		params = []param{{"normal mean", d.Normal[0]}, {"normal stddev", d.Normal[1]}}
	case "exponential":
		params = []param{{"exponential mean", d.Exponential}}
	default:
		params = []param{{"", d.Fixed}}
	}
	for _, p := range params {
		if p.v > MaxTime {
			return pastTheEnd(strings.TrimSuffix(field+": "+p.name, ": "), p.v)
		}
	}
	return nil
}

// draw samples d, refusing a draw beyond the clock: a random duration is
// drawn as a float, and one past the clock would wrap when converted.
func (d *Dist) draw(rng *rand.Rand, field string) (time.Duration, error) {
	var v float64
	switch d.kind {
	case "uniform":
		// Within [min, max], both checked against the clock.
		return d.Uniform[0] + time.Duration(rng.Float64()*float64(d.Uniform[1]-d.Uniform[0])), nil
	case "exponential":
		v = rng.ExpFloat64() * float64(d.Exponential)
	case "normal":
		v = math.Max(0, float64(d.Normal[0])+rng.NormFloat64()*float64(d.Normal[1]))
	default:
		v = float64(d.Fixed)
	}
	if v > float64(MaxTime) {
		return 0, fmt.Errorf("%s: a draw of %.0fh from %s is past the end of the virtual clock (%v, 100 years)", field, v/float64(time.Hour), d, MaxTime)
	}
	return time.Duration(v), nil
}

// String is d as a load description gives it.
func (d *Dist) String() string {
	switch d.kind {
	case "uniform":
		return fmt.Sprintf("uniform [%v, %v]", d.Uniform[0], d.Uniform[1])
	case "exponential":
		return fmt.Sprintf("exponential %v", d.Exponential)
	case "normal":
		return fmt.Sprintf("normal [%v, %v]", d.Normal[0], d.Normal[1])
	}
	return d.Fixed.String()
}

// later is t+d, or an error naming field when it passes the clock's end;
// t and d within the clock cannot overflow.
func later(t, d time.Duration, field string) (time.Duration, error) {
	if t+d > MaxTime {
		return 0, fmt.Errorf("%s: it brings the time to %v, past the end of the virtual clock (%v, 100 years)", field, t+d, MaxTime)
	}
	return t + d, nil
}
