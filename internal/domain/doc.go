// Package domain holds the types that several layers share: lock and
// holder keys with their one parse and format, the step key, waiters,
// grants, fencing tokens and a step's result (DESIGN.md §6). Each layer
// uses these instead of keeping its own copy, so a key is spelled and
// split in one place and a grant crosses layers without conversion.
//
// It is a leaf: the standard library only, no I/O.
package domain
