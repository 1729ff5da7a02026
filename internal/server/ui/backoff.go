package ui

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Guessing tokens is slowed per client address: the first freeFails
// wrong tokens cost nothing (typos), then each one doubles the wait
// before the next try, up to maxBackoff. An address is forgotten
// forgetAfter its last wrong token. A right token does not reset it:
// else a valid scoped token, interleaved, would lift the limit on
// guessing another.
const (
	freeFails   = 10
	maxBackoff  = 5 * time.Minute
	forgetAfter = 15 * time.Minute
	maxAddrs    = 10000
)

// Backoff counts wrong tokens per client address.
type Backoff struct {
	mu  sync.Mutex
	by  map[string]*strikes
	now func() time.Time
}

type strikes struct {
	fails int
	last  time.Time
}

// NewBackoff makes an empty Backoff.
func NewBackoff() *Backoff { return &Backoff{by: map[string]*strikes{}, now: time.Now} }

// Wait is how long r's address must still wait before presenting a
// token; 0 when it may now. While it waits, any token is refused,
// the right one too: an answer would tell a guess right from wrong.
func (b *Backoff) Wait(r *http.Request) time.Duration {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.by[clientAddr(r)]
	if s == nil || s.fails < freeFails {
		return 0
	}
	if wait := s.last.Add(backoffAfter(s.fails)).Sub(now); wait > 0 {
		return wait
	}
	return 0
}

// backoffAfter is the wait after fails wrong tokens.
func backoffAfter(fails int) time.Duration {
	if fails < freeFails {
		return 0
	}
	d := time.Second << min(fails-freeFails, 16)
	return min(d, maxBackoff)
}

// Fail records a wrong token from r's address.
func (b *Backoff) Fail(r *http.Request) {
	now := b.now()
	addr := clientAddr(r)
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.by[addr]
	if s != nil && now.Sub(s.last) > forgetAfter {
		s = nil
	}
	if s == nil {
		if len(b.by) >= maxAddrs {
			b.sweep(now)
		}
		s = &strikes{}
		b.by[addr] = s
	}
	s.fails++
	s.last = now
}

// sweep forgets the addresses quiet for forgetAfter or, when none is,
// the one quiet the longest. It runs only at the bound.
func (b *Backoff) sweep(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for a, s := range b.by {
		if now.Sub(s.last) > forgetAfter {
			delete(b.by, a)
			continue
		}
		if oldestAt.IsZero() || s.last.Before(oldestAt) {
			oldest, oldestAt = a, s.last
		}
	}
	if len(b.by) >= maxAddrs {
		delete(b.by, oldest)
	}
}

// clientAddr is the address a request came from: the peer's IP (not a
// forwarded header, which the client writes), IPv6 by its /64, the
// block one host is usually given.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
