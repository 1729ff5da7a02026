package eta

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Buckets: 0 holds everything below bucketBase; bucket i ≥ 1 holds
// [bucketBase·g^(i-1), bucketBase·g^i) with g = 2^(1/bucketsPerDouble),
// so a quantile read from a bucket is within about 4.5% of the truth; the
// last bucket also takes everything longer (about 37 days and up). 232
// counters of 4 bytes: a digest never grows.
const (
	bucketBase       = 10 * time.Millisecond
	bucketsPerDouble = 8
	numBuckets       = 1 + 28*bucketsPerDouble + 7
)

// maxCount bounds a digest's samples: reaching it halves every count, so
// old holds weigh less than recent ones and the counters never overflow.
const maxCount = 1 << 14

// Digest is a streaming summary of hold times. The zero value is empty
// and ready. Min and max are exact, so a lock whose holds all last the
// same time is estimated exactly.
type Digest struct {
	counts   [numBuckets]uint32
	n        uint64
	min, max time.Duration
}

func bucketOf(d time.Duration) int {
	if d < bucketBase {
		return 0
	}
	i := 1 + int(math.Floor(math.Log2(float64(d)/float64(bucketBase))*bucketsPerDouble))
	return min(i, numBuckets-1)
}

// bounds returns bucket i's range.
func bounds(i int) (lo, hi float64) {
	if i == 0 {
		return 0, float64(bucketBase)
	}
	lo = float64(bucketBase) * math.Exp2(float64(i-1)/bucketsPerDouble)
	hi = float64(bucketBase) * math.Exp2(float64(i)/bucketsPerDouble)
	return lo, hi
}

// Add records one hold time; a negative one counts as 0.
func (d *Digest) Add(v time.Duration) {
	v = max(v, 0)
	if d.n == 0 || v < d.min {
		d.min = v
	}
	if d.n == 0 || v > d.max {
		d.max = v
	}
	d.counts[bucketOf(v)]++
	d.n++
	if d.n >= maxCount {
		d.halve()
	}
}

// halve halves every count (rounding down), keeping min and max inside
// what is left.
func (d *Digest) halve() {
	var n uint64
	first, last := -1, -1
	for i := range d.counts {
		d.counts[i] /= 2
		if d.counts[i] > 0 {
			if first < 0 {
				first = i
			}
			last = i
			n += uint64(d.counts[i])
		}
	}
	d.n = n
	if n == 0 {
		d.min, d.max = 0, 0
		return
	}
	if bucketOf(d.min) != first {
		lo, _ := bounds(first)
		d.min = time.Duration(lo)
	}
	if bucketOf(d.max) != last {
		_, hi := bounds(last)
		d.max = time.Duration(hi)
	}
}

// Merge adds o's samples to d.
func (d *Digest) Merge(o *Digest) {
	if o == nil || o.n == 0 {
		return
	}
	if d.n == 0 || o.min < d.min {
		d.min = o.min
	}
	if d.n == 0 || o.max > d.max {
		d.max = o.max
	}
	for i, c := range o.counts {
		d.counts[i] = uint32(min(uint64(d.counts[i])+uint64(c), math.MaxUint32))
	}
	d.n += o.n
	for d.n >= maxCount {
		d.halve()
	}
}

// Count is the number of samples the digest weighs.
func (d *Digest) Count() uint64 {
	if d == nil {
		return 0
	}
	return d.n
}

// span is bucket i's range narrowed to the samples' min and max.
func (d *Digest) span(i int) (lo, hi float64) {
	lo, hi = bounds(i)
	lo = max(lo, float64(d.min))
	hi = min(hi, float64(d.max))
	return lo, max(lo, hi)
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the hold times,
// interpolating inside a bucket; 0 for an empty digest.
func (d *Digest) Quantile(q float64) time.Duration {
	if d.n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := q * float64(d.n)
	var cum float64
	for i, c := range d.counts {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= rank {
			lo, hi := d.span(i)
			return time.Duration(lo + (hi-lo)*(rank-cum)/float64(c))
		}
		cum += float64(c)
	}
	return d.max
}

// CDF returns the share of hold times at or below v, interpolating inside
// a bucket as Quantile does.
func (d *Digest) CDF(v time.Duration) float64 {
	if d.n == 0 || v < d.min {
		return 0
	}
	if v >= d.max {
		return 1
	}
	b := bucketOf(v)
	var cum float64
	for i := 0; i < b; i++ {
		cum += float64(d.counts[i])
	}
	if c := d.counts[b]; c > 0 {
		lo, hi := d.span(b)
		if hi > lo {
			cum += float64(c) * min(1, max(0, (float64(v)-lo)/(hi-lo)))
		}
	}
	return cum / float64(d.n)
}

// Remaining returns the q-quantile of the time left of a hold that has
// lasted elapsed: the hold times longer than elapsed, less elapsed. A
// hold that has outlasted nine in ten recorded holds is expected to need
// what the longest tenth needed beyond their shortest, however long it
// has lasted: the history says nothing about holds longer than its own,
// and such a hold ends soon but not at once (nor at a negative time).
// Where the two rules meet (elapsed at the 90th percentile) they agree.
func (d *Digest) Remaining(elapsed time.Duration, q float64) time.Duration {
	if d.n == 0 {
		return 0
	}
	f := d.CDF(elapsed)
	if f > tailFrom {
		f, elapsed = tailFrom, d.Quantile(tailFrom)
	}
	return max(0, d.Quantile(f+q*(1-f))-elapsed)
}

// tailFrom is the share of holds past which a hold's remaining time is
// the tail's (see Remaining).
const tailFrom = 0.9

// Encoding: "v1 <n> <min ns> <max ns> <bucket>:<count>,..." with only the
// non-empty buckets, so the stored text stays short.
const encVersion = "v1"

// ErrBadDigest is returned for stored text that is not a digest.
var ErrBadDigest = errors.New("eta: bad digest")

// MarshalText encodes the digest for the store.
func (d *Digest) MarshalText() ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %d %d ", encVersion, d.n, int64(d.min), int64(d.max))
	sep := ""
	for i, c := range d.counts {
		if c > 0 {
			fmt.Fprintf(&b, "%s%d:%d", sep, i, c)
			sep = ","
		}
	}
	return []byte(b.String()), nil
}

// UnmarshalText decodes what MarshalText wrote; the counts must add up
// to n and min must not exceed max.
func (d *Digest) UnmarshalText(text []byte) error {
	f := strings.Fields(string(text))
	if len(f) < 4 || len(f) > 5 || f[0] != encVersion {
		return fmt.Errorf("%w: %.40q", ErrBadDigest, text)
	}
	var nd Digest
	n, err1 := strconv.ParseUint(f[1], 10, 64)
	lo, err2 := strconv.ParseInt(f[2], 10, 64)
	hi, err3 := strconv.ParseInt(f[3], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || lo < 0 || hi < lo {
		return fmt.Errorf("%w: header %q", ErrBadDigest, strings.Join(f[:4], " "))
	}
	nd.n, nd.min, nd.max = n, time.Duration(lo), time.Duration(hi)
	var sum uint64
	if len(f) == 5 {
		for _, p := range strings.Split(f[4], ",") {
			is, cs, ok := strings.Cut(p, ":")
			i, err1 := strconv.Atoi(is)
			c, err2 := strconv.ParseUint(cs, 10, 32)
			if !ok || err1 != nil || err2 != nil || i < 0 || i >= numBuckets || c == 0 {
				return fmt.Errorf("%w: bucket %q", ErrBadDigest, p)
			}
			nd.counts[i] = uint32(c)
			sum += c
		}
	}
	if sum != n {
		return fmt.Errorf("%w: buckets hold %d samples, header says %d", ErrBadDigest, sum, n)
	}
	*d = nd
	return nil
}
