package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// call is one HTTP request of a load.
type call struct {
	method, path string
	header       http.Header // read-only; cloned into each request
	body         []byte
}

// same gives every worker the same call.
func same(c call) func(worker int) call { return func(int) call { return c } }

// load sends calls from conns connections, all from 127.0.0.1, for the
// row's duration, after a warm-up of a tenth of it (at most a second); each
// worker loops on its own connection (kept alive).
func (b *bench) load(conns int, calls func(worker int) call) stats {
	client := newClient(conns, nil)
	defer client.CloseIdleConnections()
	return b.loadWith(conns, calls, func(int) *http.Client { return client })
}

// loadApart is load with each connection from an address of its own,
// 127.0.0.2 and on (Linux routes all of 127.0.0.0/8 to loopback), as
// people on many machines: per-address limits then count each apart.
func (b *bench) loadApart(conns int, calls func(worker int) call) stats {
	clients := make([]*http.Client, conns)
	for i := range clients {
		clients[i] = newClient(1, loopback(i+2))
		defer clients[i].CloseIdleConnections()
	}
	return b.loadWith(conns, calls, func(w int) *http.Client { return clients[w] })
}

func (b *bench) loadWith(conns int, calls func(worker int) call, client func(worker int) *http.Client) stats {
	do := func(ctx context.Context, worker int) (int, string, error) {
		status, body, err := send(ctx, client(worker), b.base, calls(worker))
		if err != nil || status == http.StatusOK {
			return status, "", err
		}
		return status, fmt.Sprintf("%d %.160s", status, bytes.TrimSpace(body)), nil
	}
	// uncounted, so the row measures neither the dials nor cold caches
	load(b.ctx, conns, min(b.opt.Duration/10, time.Second), do)
	return load(b.ctx, conns, b.opt.Duration, do)
}

// loopback is the n-th address of 127.0.0.0/8.
func loopback(n int) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IPv4(127, byte(n>>16), byte(n>>8), byte(n))}
}

// do sends one call and returns the body of its 200.
func (b *bench) do(c call) ([]byte, error) {
	client := newClient(1, nil)
	defer client.CloseIdleConnections()
	status, body, err := send(b.ctx, client, b.base, c)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %s", c.method, c.path, status, body)
	}
	return body, nil
}

// newClient keeps an idle connection for each of conns workers, so no
// request waits for a dial once the load runs; from is the local address
// to dial from (nil: the system's choice).
func newClient(conns int, from *net.TCPAddr) *http.Client {
	dialer := &net.Dialer{LocalAddr: from}
	return &http.Client{Transport: &http.Transport{
		DialContext: dialer.DialContext, MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true,
	}}
}

func send(ctx context.Context, client *http.Client, base string, c call) (int, []byte, error) {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, base+c.path, body)
	if err != nil {
		return 0, nil, err
	}
	if c.header != nil {
		req.Header = c.header.Clone()
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	// read to the end, so the connection is reused
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}
