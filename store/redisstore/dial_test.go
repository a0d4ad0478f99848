package redisstore

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

func TestDialErrors(t *testing.T) {
	port := closedPort(t)
	for _, tc := range []struct {
		name, url string
		cluster   []string
		want      string
	}{
		{"bad scheme", "http://:secret@127.0.0.1:6379/0", nil, "invalid URL scheme"},
		{"bad port", "redis://:secret@127.0.0.1:notaport/0", nil, "bad Redis URL"},
		{"bad db", "redis://:secret@127.0.0.1:6379/x", nil, "invalid database"},
		{"nothing to dial", "", nil, "no Redis URL"},
		{"unreachable", "redis://:secret@127.0.0.1:" + port + "/0", nil, "ping redis://:xxxxx@127.0.0.1:" + port},
		{"unreachable cluster", "redis://:secret@x/0", []string{"127.0.0.1:" + port}, "ping cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			client, err := Dial(context.Background(), tc.url, tc.cluster)
			if err == nil {
				_ = client.Close()
				t.Fatal("Dial succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q reveals the password", err)
			}
			if d := time.Since(start); d > pingTimeout+time.Second {
				t.Errorf("Dial took %v", d)
			}
		})
	}
}

// closedPort returns a local port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_ = l.Close()
	return port
}

func TestDialSingleAndCluster(t *testing.T) {
	mr := miniredis.RunT(t)
	mr.RequireAuth("pw")
	for _, tc := range []struct {
		name    string
		url     string
		cluster []string
	}{
		{"single", "redis://:pw@" + mr.Addr() + "/0", nil},
		{"cluster, credentials from URL", "redis://:pw@ignored/0", []string{mr.Addr()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, err := Dial(context.Background(), tc.url, tc.cluster)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			if err := client.Set(context.Background(), "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
