package credential

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const (
	sessionToken = "5f0c7d9e-1b2a-4c3d-8e4f-a0b1c2d3e4f5"
	devKey       = "1700000000" + sessionToken
	access       = "Zm9vYmFyYmF6cXV4LV9mb29iYXJiYXpxdXgtX2Zvb2J"
	jwt          = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2ln"
)

func request(method, target string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

func TestReadOrder(t *testing.T) {
	cookies := "xtra-session=web; dms-token=dms"
	tests := []struct {
		name      string
		target    string
		headers   []string
		wantToken string
		wantFrom  Source
	}{
		{"nothing", "/", nil, "", None},
		{"X-XTRA-AUTH-ID first", "/?access_token=q", []string{"X-XTRA-AUTH-ID", "h", "Authorization", "Bearer b", "Cookie", cookies}, "h", FromAuthID},
		{"then Bearer", "/?access_token=q", []string{"Authorization", "Bearer b", "Cookie", cookies}, "b", FromAuthorization},
		{"bearer in any case", "/", []string{"Authorization", "bEaReR  b "}, "b", FromAuthorization},
		{"a bare JWT as DMS sends it", "/?access_token=q", []string{"Authorization", jwt}, jwt, FromAuthorization},
		{"a bare non-JWT is no credential", "/", []string{"Authorization", sessionToken}, "", None},
		{"Basic is no credential", "/", []string{"Authorization", "Basic YTpi"}, "", None},
		{"then the query", "/?access_token=q", []string{"Cookie", cookies}, "q", FromQuery},
		{"then the web cookie", "/", []string{"Cookie", cookies}, "web", FromWebCookie},
		{"then the dms-token cookie", "/", []string{"Cookie", "dms-token=dms"}, "dms", FromDMSCookie},
		{"empty values are absent", "/?access_token=", []string{"X-XTRA-AUTH-ID", "", "Cookie", "xtra-session=; dms-token=dms"}, "dms", FromDMSCookie},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Read(request("GET", tt.target, tt.headers...), "192.0.2.1")
			if p.Token != tt.wantToken || p.From != tt.wantFrom || p.Address != "192.0.2.1" {
				t.Fatalf("Read = %q from %v, want %q from %v", p.Token, p.From, tt.wantToken, tt.wantFrom)
			}
		})
	}
}

func TestReadSudo(t *testing.T) {
	p := Read(request("GET", "/?sudo=uid:3&tenantId=2&tenantCode=acme"), "")
	if p.Sudo.Sudo != "uid:3" || p.Sudo.TenantID != "2" || p.Sudo.TenantCode != "acme" {
		t.Fatalf("sudo %+v", p.Sudo)
	}
}

func TestReadDMS(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    string
	}{
		{"the cookie first", []string{"Cookie", "dms-token=c", "Authorization", "Bearer b"}, "c"},
		{"then Bearer", []string{"Authorization", "Bearer b", "X-XTRA-AUTH-ID", "h"}, "b"},
		{"then a bare JWT", []string{"Authorization", jwt}, jwt},
		{"not the web cookie or X-XTRA-AUTH-ID", []string{"Cookie", "xtra-session=w", "X-XTRA-AUTH-ID", "h"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReadDMS(request("GET", "/?access_token=q", tt.headers...), "").Token; got != tt.want {
				t.Fatalf("ReadDMS = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadForwarded(t *testing.T) {
	tests := []struct {
		name      string
		target    string
		headers   []string
		believe   bool
		wantToken string
		wantSudo  string
	}{
		{"the original URL's token before cookies", "/api/auth", []string{"X-Original-URI", "/x?access_token=o&sudo=uid:2", "Cookie", "xtra-session=w"}, true, "o", "uid:2"},
		{"headers before the original URL", "/api/auth", []string{"X-XTRA-AUTH-ID", "h", "X-Original-URI", "/x?access_token=o"}, true, "h", ""},
		{"the request's own query first", "/api/auth?access_token=q&sudo=uid:1", []string{"X-Original-URI", "/x?access_token=o&sudo=uid:2"}, true, "q", "uid:1"},
		{"X-Original-URI before X-Forwarded-Uri", "/api/auth", []string{"X-Forwarded-Uri", "/x?access_token=f", "X-Original-URI", "/x?access_token=o"}, true, "o", ""},
		{"X-Forwarded-Uri alone", "/api/auth", []string{"X-Forwarded-Uri", "/x?access_token=f"}, true, "f", ""},
		{"a broken X-Original-URI hides X-Forwarded-Uri", "/api/auth", []string{"X-Original-URI", "::", "X-Forwarded-Uri", "/x?access_token=f"}, true, "", ""},
		{"not from a trusted proxy", "/api/auth", []string{"X-Original-URI", "/x?access_token=o&sudo=uid:2", "Cookie", "xtra-session=w"}, false, "w", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ReadForwarded(request("GET", tt.target, tt.headers...), "", tt.believe)
			if p.Token != tt.wantToken || p.Sudo.Sudo != tt.wantSudo {
				t.Fatalf("ReadForwarded = %q sudo %q, want %q sudo %q", p.Token, p.Sudo.Sudo, tt.wantToken, tt.wantSudo)
			}
		})
	}
}

func TestNeedsCSRFHeader(t *testing.T) {
	xhr := []string{"X-Requested-With", "XMLHttpRequest"}
	tests := []struct {
		method  string
		headers []string
		want    bool
	}{
		{"GET", []string{"Cookie", "xtra-session=w"}, false},
		{"HEAD", []string{"Cookie", "dms-token=d"}, false},
		{"POST", []string{"Cookie", "xtra-session=w"}, true},
		{"PUT", []string{"Cookie", "dms-token=d"}, true},
		{"DELETE", []string{"Cookie", "dms-token=d"}, true},
		{"POST", append([]string{"Cookie", "dms-token=d"}, xhr...), false},
		{"POST", []string{"Cookie", "dms-token=d", "X-Requested-With", "fetch"}, true},
		{"POST", []string{"Cookie", "dms-token=d", "X-XTRA-AUTH-ID", "h"}, false},
		{"POST", []string{"Cookie", "xtra-session=w", "Authorization", "Bearer b"}, false},
		{"POST", nil, false},
	}
	for _, tt := range tests {
		r := request(tt.method, "/", tt.headers...)
		if got := Read(r, "").NeedsCSRFHeader(r); got != tt.want {
			t.Errorf("%s %v: NeedsCSRFHeader %v, want %v", tt.method, tt.headers, got, tt.want)
		}
	}
}

func TestShapeOf(t *testing.T) {
	tests := map[string]shape{
		sessionToken:                           shapeSession,
		devKey:                                 shapeDevKey,
		"1" + sessionToken:                     shapeDevKey,
		access:                                 shapeAccessToken,
		jwt:                                    shapeJWT,
		"":                                     shapeNone,
		"5F0C7D9E-1B2A-4C3D-8E4F-A0B1C2D3E4F5": shapeNone, // we write lower case
		"5f0c7d9e-1b2a-4c3d-8e4f-a0b1c2d3e4fg": shapeNone,
		"5f0c7d9e+1b2a-4c3d-8e4f-a0b1c2d3e4f5": shapeNone,
		"17x0000000" + sessionToken:            shapeNone,
		"12345678901234567890123456" + sessionToken: shapeNone, // too long a time
		access[:42]:       shapeNone,
		access[:42] + "=": shapeNone,
		"a.b":             shapeNone,
	}
	for s, want := range tests {
		if got := shapeOf(s); got != want {
			t.Errorf("shapeOf(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzRead: no request makes reading a credential panic, and whatever is
// read came from the request and has a source.
func FuzzRead(f *testing.F) {
	f.Add("X-XTRA-AUTH-ID", sessionToken, "access_token="+access, "xtra-session=w")
	f.Add("Authorization", "Bearer "+devKey, "sudo=uid:1", "dms-token="+jwt)
	f.Add("Authorization", jwt, "", "")
	f.Add("Authorization", "bearer ", "access_token=%zz", "=;;")
	f.Fuzz(func(t *testing.T, header, value, query, cookie string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.URL.RawQuery = query
		r.Header.Set(header, value)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("X-Original-URI", "/?"+query)
		for _, p := range []Presented{Read(r, ""), ReadDMS(r, ""), ReadForwarded(r, "", true)} {
			if (p.Token == "") != (p.From == None) {
				t.Fatalf("token %q from %v", p.Token, p.From)
			}
			_ = p.NeedsCSRFHeader(r)
			_ = shapeOf(p.Token)
		}
	})
}
