package eta

import "time"

// Far outliers. One hold that lasted hours among holds of seconds (a hung
// step, a clock moved back) must not become every estimate: drawn as one
// of eighteen futures it made each waiter's p90 ten hours, and a hold past
// the short ones "ends in ~9h48m". Hold times are skewed (a slow run takes
// a multiple of a quick one's time, not a fixed amount more), so the fence
// is Tukey's far-out fence on their logarithm, Q3·(Q3/Q1)³, with Q3/Q1
// taken as at least 2 so that near-constant holds do not make a few
// seconds' jitter an outlier: beyond 8 times the upper quartile at least,
// about 4.8σ for log-normal holds of σ 0.5.
//
// Holds beyond the fence are left out of estimates only while they are
// rare: a single one, or at most one in twenty. Fewer than one in ten
// cannot be the median or p90 of a single hold anyway, so leaving them out
// changes only what they would dominate (a queue's compounded draws, the
// tail of a hold that has outlasted most); more often than that they are
// part of how the lock behaves and count in full. Nothing is lost: the
// stored digest keeps every hold, and a hold that does run that long is
// then said to be overdue (Overdue) rather than given a number.
const (
	fenceK      = 3  // Tukey's far-out k, on log hold times
	minSpread   = 2  // least Q3/Q1
	rareOneInto = 20 // outliers are rare at one in this many samples or fewer
)

// typical returns d without its rare far outliers, or d itself when it
// has none. The result is not stored.
func (d *Digest) typical() *Digest {
	if d.Count() < 2 {
		return d
	}
	q1 := float64(max(d.Quantile(0.25), bucketBase))
	q3 := float64(max(d.Quantile(0.75), bucketBase))
	r := max(q3/q1, minSpread)
	fence := q3
	for range fenceK {
		fence *= r
	}
	if float64(d.max) <= fence {
		return d
	}
	fb := bucketOf(time.Duration(fence)) // fence < max, so it fits
	var far uint64
	for i := fb + 1; i < numBuckets; i++ {
		far += uint64(d.counts[i])
	}
	if far == 0 || (far > 1 && far*rareOneInto > d.n) {
		return d
	}
	out := *d
	last := 0
	for i := range out.counts {
		if i > fb {
			out.counts[i] = 0
		} else if out.counts[i] > 0 {
			last = i
		}
	}
	out.n -= far
	// The longest hold left lies in bucket last; its exact time is not
	// kept, so the bucket's top stands for it (within 9%).
	_, hi := bounds(last)
	out.max = max(out.min, time.Duration(min(hi, fence)))
	return &out
}
