package engine

import (
	"fmt"

	"github.com/semaflow/semaflow/internal/store"
)

// releaseReserve gives the store's reserve (store.Reserver) back to the
// disk when err says the disk is full, so that what lets work end can be
// recorded: a step's result, a terminate, a delete, the lease. true means
// room was freed and the write is worth trying again at once. New work
// (a submit) never calls it: it is refused while the disk is full.
func (e *Engine) releaseReserve(err error, what string) bool {
	if !store.NoSpace(err) {
		return false
	}
	return e.giveUpReserve(what)
}

// giveUpReserve releases the store's reserve, if it still holds one, for
// what; true means room was freed.
func (e *Engine) giveUpReserve(what string) bool {
	if e.reserver == nil {
		return false
	}
	freed, where := e.reserver.ReleaseReserve()
	if freed == 0 {
		return false
	}
	e.log.Warn(fmt.Sprintf("the disk is full: released the %s kept free at %s so that %s can be recorded; "+
		"it is kept again once the disk has room (deleting a workflow removes its volumes)", size(freed), where, what))
	return true
}
