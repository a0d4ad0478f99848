package clientaddr_test

import (
	"net/netip"
	"testing"

	"xtraauth/clientaddr"
)

func prefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestOf(t *testing.T) {
	trusted := []string{"10.0.0.0/8", "fd00::/8", "127.0.0.1/32"}
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		want    string
	}{
		{"untrusted peer", trusted, "203.0.113.7:5555", nil, "203.0.113.7"},
		{"untrusted peer ignores X-Forwarded-For", trusted, "203.0.113.7:5555", []string{"198.51.100.1"}, "203.0.113.7"},
		{"no trusted proxies ignores X-Forwarded-For", nil, "10.0.0.1:5555", []string{"198.51.100.1"}, "10.0.0.1"},
		{"private peer is not trusted by default", nil, "192.168.1.1:80", []string{"198.51.100.1"}, "192.168.1.1"},
		{"trusted peer without X-Forwarded-For", trusted, "10.0.0.1:5555", nil, "10.0.0.1"},
		{"trusted peer, one hop", trusted, "10.0.0.1:5555", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted peer, rightmost untrusted hop", trusted, "10.0.0.1:5555",
			[]string{"1.1.1.1, 198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"spoofed left hops are ignored", trusted, "10.0.0.1:5555",
			[]string{"6.6.6.6, 7.7.7.7", "198.51.100.1"}, "198.51.100.1"},
		{"several header lines", trusted, "10.0.0.1:5555",
			[]string{"1.1.1.1", "198.51.100.1, 10.0.0.3", "10.0.0.2"}, "198.51.100.1"},
		{"all hops trusted: the leftmost", trusted, "10.0.0.1:5555", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"garbled rightmost hop: the nearest trusted hop", trusted, "10.0.0.1:5555", []string{"198.51.100.1, garbage"}, "10.0.0.1"},
		{"garbled hop behind a trusted one", trusted, "10.0.0.1:5555", []string{"198.51.100.1, not-an-ip, 10.0.0.2"}, "10.0.0.2"},
		{"empty hop", trusted, "10.0.0.1:5555", []string{"198.51.100.1,,"}, "10.0.0.1"},
		{"empty header value", trusted, "10.0.0.1:5555", []string{""}, "10.0.0.1"},
		{"hop with a port", trusted, "10.0.0.1:5555", []string{"198.51.100.1:4444"}, "198.51.100.1"},
		{"hop with spaces", trusted, "10.0.0.1:5555", []string{"  198.51.100.1  ,10.0.0.2 "}, "198.51.100.1"},
		{"IPv6 peer grouped to /64", nil, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 peers in one /64 share", nil, "[2001:db8:1:2:ffff::1]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 peer with zone", nil, "[fe80::1%eth0]:443", nil, "fe80::/64"},
		{"IPv6 hop grouped to /64", trusted, "10.0.0.1:1", []string{"2001:db8:a:b:c::9"}, "2001:db8:a:b::/64"},
		{"bracketed IPv6 hop with port", trusted, "10.0.0.1:1", []string{"[2001:db8:a:b::9]:80"}, "2001:db8:a:b::/64"},
		{"trusted IPv6 peer", trusted, "[fd00::1]:1", []string{"2001:db8:a:b::9, fd00::2"}, "2001:db8:a:b::/64"},
		{"IPv4-mapped IPv6 peer", nil, "[::ffff:203.0.113.7]:80", nil, "203.0.113.7"},
		{"IPv4-mapped IPv6 trusted peer", trusted, "[::ffff:10.0.0.1]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped IPv6 hop", trusted, "10.0.0.1:80", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped IPv6 trusted hop", trusted, "10.0.0.1:80", []string{"198.51.100.1, ::ffff:10.0.0.9"}, "198.51.100.1"},
		{"IPv4-mapped trusted range", []string{"::ffff:10.0.0.0/104"}, "10.0.0.1:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped trusted range, mapped peer", []string{"::ffff:10.0.0.0/104"}, "[::ffff:10.0.0.1]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped trusted range, peer outside", []string{"::ffff:10.0.0.0/104"}, "11.0.0.1:80", []string{"198.51.100.1"}, "11.0.0.1"},
		{"peer without port", nil, "203.0.113.7", nil, "203.0.113.7"},
		{"empty peer", trusted, "", []string{"198.51.100.1"}, "unknown"},
		{"garbled peer", trusted, "pipe:@", []string{"198.51.100.1"}, "unknown"},
		{"unix socket peer", trusted, "@", nil, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clientaddr.New(prefixes(t, tt.trusted...))
			if got := r.Of(tt.remote, tt.xff); got != tt.want {
				t.Fatalf("Of(%q, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

// validResult: "unknown", a plain IPv4 address, or a masked IPv6 /64.
func validResult(s string) bool {
	if s == "unknown" {
		return true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Is4() && a.String() == s
	}
	p, err := netip.ParsePrefix(s)
	return err == nil && p.Addr().Is6() && !p.Addr().Is4In6() && p.Bits() == 64 && p.Masked() == p && p.String() == s
}

func FuzzClientAddr(f *testing.F) {
	for _, s := range [][3]string{
		{"203.0.113.7:5555", "198.51.100.1", ""},
		{"10.0.0.1:5555", "1.1.1.1, 198.51.100.1, 10.0.0.2", "10.0.0.3"},
		{"[2001:db8::1]:443", "", ""},
		{"[fe80::1%eth0]:443", "[fe80::2%lo]:80", ""},
		{"[::ffff:10.0.0.1]:80", "::ffff:1.2.3.4, garbage", ""},
		{"10.0.0.1:1", ",,,", "[::]:0"},
		{"", "", ""},
		{"[", "]", "%"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	r := clientaddr.New(prefixes(f, "10.0.0.0/8", "fd00::/8", "::ffff:0:0/96", "0.0.0.0/0"))
	none := clientaddr.New(nil)
	f.Fuzz(func(t *testing.T, remote, xff1, xff2 string) {
		for _, res := range []*clientaddr.Resolver{r, none} {
			got := res.Of(remote, []string{xff1, xff2})
			if !validResult(got) {
				t.Fatalf("Of(%q, %q, %q) = %q", remote, xff1, xff2, got)
			}
		}
		if got, want := none.Of(remote, []string{xff1, xff2}), none.Of(remote, nil); got != want {
			t.Fatalf("an untrusted peer's X-Forwarded-For changed the answer: %q vs %q", got, want)
		}
	})
}
