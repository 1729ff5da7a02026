// Package eta estimates when a lock's waiters will start, from hold-time
// history. It is pure: no I/O, time comes in as arguments, and the same
// inputs always give the same estimates (the sampling is seeded).
//
// Digest is the history: a fixed-size histogram of hold times with
// logarithmic buckets, kept per lock and per template by the lock manager
// and stored with the lock. Estimate turns digests, the holders' elapsed
// times, the limit and the queue into a median and a 90th-percentile
// start for every waiter, or says it does not know.
package eta
