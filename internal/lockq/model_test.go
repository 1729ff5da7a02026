package lockq

import (
	"fmt"
	"sort"
	"time"

	"github.com/semaflow/semaflow/internal/domain"
)

// model is the grant rule written as plainly as possible: after every
// operation, sort all waiters and walk them from the start. It is slow and
// obviously right; the Queue must make exactly the same grants.
type model struct {
	policy  Policy
	ra      int64
	limits  map[string]int
	fence   map[string]uint64
	held    map[string]int
	holders map[string][]domain.Token
	waiters []modelWaiter
	nextSeq uint64
}

type modelWaiter struct {
	id    string
	locks []string
	key   orderKey
	enq   int64
}

func newModel(cfg Config) *model {
	ra := cfg.ReserveAfter
	if ra == 0 {
		ra = DefaultReserveAfter
	}
	return &model{policy: cfg.Policy, ra: int64(ra), limits: map[string]int{}, fence: map[string]uint64{},
		held: map[string]int{}, holders: map[string][]domain.Token{}, nextSeq: 1}
}

func (m *model) setLimit(key string, n int, now time.Time) []domain.Grant {
	m.limits[key] = n
	return m.walk(now)
}

func (m *model) known(id string) bool {
	if _, ok := m.holders[id]; ok {
		return true
	}
	for _, w := range m.waiters {
		if w.id == id {
			return true
		}
	}
	return false
}

func (m *model) add(w domain.Waiter, now time.Time) ([]domain.Grant, error) {
	if m.known(w.Holder) {
		return nil, nil
	}
	if w.Holder == "" {
		return nil, ErrEmptyID
	}
	if len(w.Locks) == 0 {
		return nil, ErrNoLocks
	}
	seen := map[string]bool{}
	for _, l := range w.Locks {
		if _, ok := m.limits[l]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownLock, l)
		}
		if seen[l] {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateLock, l)
		}
		seen[l] = true
	}
	seq := w.Seq
	if seq == 0 {
		seq = m.nextSeq
	}
	m.nextSeq = max(m.nextSeq, seq+1)
	m.waiters = append(m.waiters, modelWaiter{id: w.Holder, locks: append([]string(nil), w.Locks...),
		key: orderKey{w.Priority, w.Created.UnixNano(), seq}, enq: now.UnixNano()})
	return m.walk(now), nil
}

func (m *model) cancel(id string, now time.Time) ([]domain.Grant, bool) {
	for i, w := range m.waiters {
		if w.id == id {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			return m.walk(now), true
		}
	}
	return nil, false
}

func (m *model) release(id string, now time.Time) ([]domain.Grant, bool) {
	toks, ok := m.holders[id]
	if !ok {
		return nil, false
	}
	delete(m.holders, id)
	for _, t := range toks {
		m.held[t.Lock]--
	}
	return m.walk(now), true
}

func (m *model) walk(now time.Time) []domain.Grant {
	// Its own comparator, so a mistake in orderKey.less cannot hide here.
	sort.Slice(m.waiters, func(i, j int) bool {
		a, b := m.waiters[i].key, m.waiters[j].key
		switch {
		case a.priority != b.priority:
			return a.priority > b.priority
		case a.created != b.created:
			return a.created < b.created
		}
		return a.seq < b.seq
	})
	free := map[string]int{}
	for k, lim := range m.limits {
		free[k] = max(0, lim-m.held[k])
	}
	blocked := map[string]bool{}
	var grants []domain.Grant
	var rest []modelWaiter
	for _, w := range m.waiters {
		fits := true
		for _, l := range w.locks {
			if free[l] <= 0 || blocked[l] {
				fits = false
			}
		}
		if fits {
			var toks []domain.Token
			for _, l := range w.locks {
				free[l]--
				m.held[l]++
				m.fence[l]++
				toks = append(toks, domain.Token{Lock: l, Value: m.fence[l]})
			}
			m.holders[w.id] = toks
			grants = append(grants, domain.Grant{Holder: w.id, Tokens: toks})
			continue
		}
		reserved := m.policy == Strict || now.UnixNano()-w.enq >= m.ra
		for _, l := range w.locks {
			if reserved || free[l] <= 0 {
				blocked[l] = true
			}
		}
		rest = append(rest, w)
	}
	m.waiters = rest
	return grants
}
