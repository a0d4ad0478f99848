// Package clientaddr decides which address a request comes from, for the
// per-address counters. The TCP peer is believed unless it is a trusted
// proxy; then the rightmost X-Forwarded-For hop outside the trusted ranges
// is. Nothing else is believed, so nobody dodges a per-address limit by
// inventing addresses. IPv6 addresses are grouped by /64, since one host
// commonly holds a whole /64.
package clientaddr

import (
	"net"
	"net/netip"
	"strings"
)

// Resolver extracts client addresses.
type Resolver struct {
	trusted []netip.Prefix
}

// New makes a Resolver that believes X-Forwarded-For only from trusted peers.
// IPv4-mapped IPv6 ranges (::ffff:10.0.0.0/104) become the IPv4 ranges they
// stand for, since addresses are compared unmapped.
func New(trusted []netip.Prefix) *Resolver {
	out := make([]netip.Prefix, 0, len(trusted))
	for _, p := range trusted {
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p)
	}
	return &Resolver{trusted: out}
}

// Of returns the grouped client address of a request, given its
// RemoteAddr and its X-Forwarded-For header values.
func (r *Resolver) Of(remoteAddr string, forwardedFor []string) string {
	peer, ok := parse(hostOf(remoteAddr))
	if !ok {
		return "unknown"
	}
	if !r.isTrusted(peer) {
		return group(peer)
	}
	hops := splitHops(forwardedFor)
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parse(hops[i])
		if !ok {
			break // a garbled hop: trust nothing further left of it
		}
		if !r.isTrusted(hop) {
			return group(hop)
		}
		peer = hop
	}
	return group(peer)
}

// FromProxy tells whether a request's TCP peer is a trusted proxy, whose
// forwarded headers may be believed. With no trusted ranges configured it
// is false.
func (r *Resolver) FromProxy(remoteAddr string) bool {
	peer, ok := parse(hostOf(remoteAddr))
	return ok && r.isTrusted(peer)
}

// Configured tells whether any trusted proxy range is set.
func (r *Resolver) Configured() bool { return len(r.trusted) > 0 }

func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func hostOf(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

func parse(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func splitHops(values []string) []string {
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	return hops
}

func group(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
