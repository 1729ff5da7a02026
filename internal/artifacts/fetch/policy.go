// Package fetch loads input artifacts that no repository holds: an http
// URL and a git repository, as Argo's http and git artifacts do. Every
// connection goes through the engine's policy for connections made on a
// workflow's behalf (the one http templates obey, --http-template-allow).
package fetch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Policy says whether a connection to ip, made for the URL host name host,
// may go ahead (executor.HTTPPolicy is one); nil allows every address.
type Policy interface {
	Allows(host string, ip netip.Addr) error
}

// dialTimeout bounds one connection attempt.
const dialTimeout = 30 * time.Second

// PolicyDialer dials as net.Dialer does, refusing each address p does not
// allow after name resolution, so neither a redirect nor a changed DNS
// answer gets around it. what names the caller in its errors.
func PolicyDialer(p Policy, what string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		d := &net.Dialer{Timeout: dialTimeout, Control: func(_, address string, _ syscall.RawConn) error {
			if p == nil {
				return nil
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%s: dialling %s: %w", what, address, err)
			}
			if err := p.Allows(host, ap.Addr()); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}}
		return d.DialContext(ctx, network, addr)
	}
}

// checkHost resolves host and checks every address against p: for
// programs (git) whose connections we do not make ourselves. A DNS answer
// may change between this check and the program's own lookup; the check
// still stops every manifest that names a refused address or name.
func checkHost(ctx context.Context, p Policy, host string) error {
	if p == nil {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return p.Allows(host, a)
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := p.Allows(host, a); err != nil {
			return err
		}
	}
	return nil
}
