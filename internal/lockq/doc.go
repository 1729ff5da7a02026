// Package lockq is semaflow's lock core: for many locks at once it holds
// each lock's limit, holders, wait queue and fencing counter, and decides
// who is granted what (DESIGN.md §2, "Order" and "Grant rule").
//
// It is pure: no I/O, no goroutines, no clock. Every operation takes the
// current time and returns the grants it causes, so the engine can persist
// them in the same transaction as the change that caused them, and tests
// can replay any history exactly.
//
// Waiters are ordered by (priority desc, workflow creation time asc,
// enqueue sequence asc); a waiter takes all its locks or none. Under the
// Strict policy (Argo's) a waiter that does not fit blocks every lock it
// asks for; under Backfill (the default) later waiters may use its other
// locks until it has waited ReserveAfter, after which it blocks them all,
// so it cannot starve. Each grant increments the lock's fencing token.
//
// Operations cost O(k log n) for a waiter of k locks among n waiters,
// plus, under Backfill, a step past each earlier multi-lock waiter that is
// short of another lock. A waiter asking again while queued costs nothing.
package lockq
