package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// pingTimeout bounds the connectivity check of Dial, so a wrong address
// fails start-up quickly instead of hanging.
const pingTimeout = 3 * time.Second

// Dial connects to Redis and checks the connection with a PING. With no
// clusterAddrs, rawURL (redis://, rediss:// or unix://) names a single server.
// With clusterAddrs, a cluster client is made from those seed addresses and
// rawURL, if not empty, only supplies the credentials and TLS setting.
// Errors never contain the password.
func Dial(ctx context.Context, rawURL string, clusterAddrs []string) (redis.UniversalClient, error) {
	client, err := newClient(rawURL, clusterAddrs)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redisstore: ping %s: %w", describe(rawURL, clusterAddrs), err)
	}
	return client, nil
}

func newClient(rawURL string, clusterAddrs []string) (redis.UniversalClient, error) {
	if len(clusterAddrs) == 0 {
		if rawURL == "" {
			return nil, errors.New("redisstore: no Redis URL and no cluster addresses")
		}
		opt, err := parseURL(rawURL)
		if err != nil {
			return nil, err
		}
		opt.MaxRetries, opt.DialerRetries = retries(opt.MaxRetries), retries(opt.DialerRetries)
		return redis.NewClient(opt), nil
	}
	copt := &redis.ClusterOptions{Addrs: clusterAddrs, MaxRetries: retries(0), DialerRetries: retries(0)}
	if rawURL != "" {
		opt, err := parseURL(rawURL)
		if err != nil {
			return nil, err
		}
		copt.Username, copt.Password, copt.TLSConfig = opt.Username, opt.Password, opt.TLSConfig
	}
	return redis.NewClusterClient(copt), nil
}

// retries keeps a URL's own retry count, else retries once: go-redis's
// defaults (3 command retries of 5 dials each) keep a login waiting about
// 2 s for a Redis that is down, when it should fail closed at once.
func retries(fromURL int) int {
	if fromURL != 0 {
		return fromURL
	}
	return 1
}

// parseURL wraps redis.ParseURL, dropping the URL from url.Parse errors
// because it may hold the password.
func parseURL(rawURL string) (*redis.Options, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("redisstore: bad Redis URL: %w", err)
	}
	return opt, nil
}

// describe names the target for error messages, password redacted.
func describe(rawURL string, clusterAddrs []string) string {
	if len(clusterAddrs) > 0 {
		return fmt.Sprintf("cluster %v", clusterAddrs)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "Redis"
	}
	return u.Redacted()
}
