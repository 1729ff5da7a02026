package reconcile

import (
	"bytes"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// loopEntry is one loop's expansion, with its items' node names and IDs.
type loopEntry struct {
	// What determined it: the workflow's name (IDs), the withItems list
	// or the resolved withParam / withSequence input, and the item limit.
	wfName string
	items  []wfv1.Item
	input  string
	limit  int
	list   []loopItem
	names  []string
	ids    []string
	walk   int
	// kept is what the walks keep beside the list (loopprefix.go).
	kept loopKept
}

// loopInput is the resolved input a loop's list is a function of, and
// false when it cannot be resolved (expand then reports why, uncached).
// withItems' list is compared item by item instead.
func loopInput(l loopSpec, scope expr.Scope) (string, bool) {
	switch {
	case len(l.items) > 0:
		return "i", true
	case l.param != "":
		if checkAbsent(l.param, scope) != nil {
			return "", false
		}
		s, err := expr.Replace(l.param, scope, true)
		if err != nil {
			return "", false
		}
		return "p" + s, true
	case l.sequence != nil:
		key := "s"
		for _, v := range []*wfv1.IntOrString{l.sequence.Count, l.sequence.Start, l.sequence.End} {
			if v == nil {
				key += "\x00-"
				continue
			}
			r, err := expr.Replace(v.String(), scope, true)
			if err != nil {
				return "", false
			}
			key += "\x00=" + r
		}
		return key + "\x00" + l.sequence.Format, true
	}
	return "", false
}

func sameItems(a, b []wfv1.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].RawMessage, b[i].RawMessage) {
			return false
		}
	}
	return true
}

// expandLoop is expand through the cache: the list of the loop whose
// nodes are named base+suffix, with those names and IDs. Without a cache
// (or on the old walk) names and ids are nil.
func (o *op) expandLoop(base string, l loopSpec, scope expr.Scope) ([]loopItem, []string, []string, error) {
	c := o.walk.cache
	limit := o.limits.MaxLoopItems
	if c == nil || o.walk.legacy {
		o.countExpansion()
		items, err := expand(l, scope, limit)
		return items, nil, nil, err
	}
	input, ok := loopInput(l, scope)
	wfName := o.wf.Metadata.Name
	if e := c.loops[base]; ok && e != nil && e.wfName == wfName && e.input == input && e.limit == limit && sameItems(e.items, l.items) {
		e.walk = c.walk
		return e.list, e.names, e.ids, nil
	}
	o.countExpansion()
	items, err := expand(l, scope, limit)
	if err != nil || !ok {
		delete(c.loops, base)
		return items, nil, nil, err
	}
	// The list is copied: the entry must not change with the spec it was
	// read from.
	kept := make([]wfv1.Item, len(l.items))
	for i, it := range l.items {
		kept[i].RawMessage = bytes.Clone(it.RawMessage)
	}
	e := &loopEntry{wfName: wfName, items: kept, input: input, limit: limit, list: items, walk: c.walk,
		names: make([]string, len(items)), ids: make([]string, len(items))}
	for i, it := range items {
		e.names[i] = base + it.suffix
		e.ids[i] = NodeID(wfName, e.names[i])
	}
	c.loops[base] = e
	return e.list, e.names, e.ids, nil
}

// byNameID is byName for a name whose NodeID is known.
func (o *op) byNameID(name, id string) *wfv1.NodeStatus {
	n := o.nodes[id]
	if n != nil && n.Name == name {
		return n
	}
	if n != nil || o.hasAlt {
		if n := o.nodes[altNodeID(o.wf.Metadata.Name, name)]; n != nil && n.Name == name {
			return n
		}
	}
	return nil
}
