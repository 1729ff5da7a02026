// Package sim is semaflow's lock simulator: a discrete-event simulation of
// workflows asking for, holding and letting go of locks, decided by the
// engine's own wait queues (lockq, with the engine's policy), on a virtual
// clock.
//
// It is pure: no I/O, no goroutines, no wall clock. A Scenario is data
// (from a recorded run, FromHistory, or a load description, ParseLoad)
// and Run returns the same Result for the same Scenario: every tie is
// broken by input order, and randomness lives only in ParseLoad, seeded.
package sim
