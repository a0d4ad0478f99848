package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
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

// load sends calls from conns connections for the row's duration, after a
// warm-up of a tenth of it (at most a second); each worker loops on its own
// connection (kept alive).
func (b *bench) load(conns int, calls func(worker int) call) stats {
	client := newClient(conns)
	defer client.CloseIdleConnections()
	do := func(ctx context.Context, worker int) (int, string, error) {
		status, body, err := send(ctx, client, b.base, calls(worker))
		if err != nil || status == http.StatusOK {
			return status, "", err
		}
		return status, fmt.Sprintf("%d %.160s", status, bytes.TrimSpace(body)), nil
	}
	// uncounted, so the row measures neither the dials nor cold caches
	load(b.ctx, conns, min(b.opt.Duration/10, time.Second), do)
	return load(b.ctx, conns, b.opt.Duration, do)
}

// do sends one call and returns the body of its 200.
func (b *bench) do(c call) ([]byte, error) {
	client := newClient(1)
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
// request waits for a dial once the load runs.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true,
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
