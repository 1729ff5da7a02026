package executor

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// HTTPPolicy says where http templates may connect. It is checked at
// every connection, on the address actually dialled after name
// resolution, so neither a redirect nor a DNS answer that changed since
// submission gets around it.
type HTTPPolicy struct {
	// Allow lists the destinations allowed: CIDRs ("10.0.0.0/8"), IP
	// addresses, host names ("api.example.com") and subdomain patterns
	// ("*.example.com"). Empty: every destination but those DenyLocal
	// refuses.
	Allow []string `json:"allow,omitempty"`
	// DenyLocal, with an empty Allow, refuses loopback, link-local (the
	// cloud metadata address among them) and unspecified addresses: from
	// a server they reach the server itself, whose API trusts loopback
	// callers, or the host's credentials.
	DenyLocal bool `json:"denyLocal,omitempty"`
}

// CheckHTTPAllow validates --http-template-allow entries.
func CheckHTTPAllow(entries []string) error {
	for _, e := range entries {
		if _, _, err := parseAllow(e); err != nil {
			return err
		}
	}
	return nil
}

// parseAllow reads one entry as a prefix or, failing that, a host name
// pattern.
func parseAllow(e string) (netip.Prefix, string, error) {
	e = strings.TrimSpace(e)
	if p, err := netip.ParsePrefix(e); err == nil {
		return p.Masked(), "", nil
	}
	if a, err := netip.ParseAddr(e); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), "", nil
	}
	name := strings.ToLower(strings.TrimSuffix(e, "."))
	label := strings.TrimPrefix(name, "*.")
	if label == "" || strings.ContainsAny(label, "/*:[] ") || strings.Contains(label, "..") {
		return netip.Prefix{}, "", fmt.Errorf("--http-template-allow %q: want a CIDR (10.0.0.0/8), an IP address, a host name or *.domain", e)
	}
	return netip.Prefix{}, name, nil
}

// allows says whether a connection to ip, made for the URL host name
// host, may go ahead; if not, the error says why and how to allow it.
func (p HTTPPolicy) allows(host string, ip netip.Addr) error {
	ip = ip.Unmap()
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if len(p.Allow) == 0 {
		if p.DenyLocal && (ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()) {
			return fmt.Errorf("%s is a loopback, link-local or unspecified address, which a server's http templates may not reach (it is the server's own host); allow it with --http-template-allow", ip)
		}
		return nil
	}
	for _, e := range p.Allow {
		prefix, name, err := parseAllow(e)
		switch {
		case err != nil:
			continue
		case name == "":
			if prefix.Contains(ip) {
				return nil
			}
		case strings.HasPrefix(name, "*."):
			if strings.HasSuffix(host, name[1:]) {
				return nil
			}
		case host == name:
			return nil
		}
	}
	what := ip.String()
	if net.ParseIP(host) == nil && host != "" {
		what = fmt.Sprintf("%s (%s)", host, ip)
	}
	return fmt.Errorf("%s is not in --http-template-allow (%s)", what, strings.Join(p.Allow, ", "))
}

// Allows says whether a connection to ip, made for the URL host name
// host, may go ahead: the same rule for the connections artifacts make
// (internal/artifacts/fetch) as for http templates.
func (p HTTPPolicy) Allows(host string, ip netip.Addr) error { return p.allows(host, ip) }
