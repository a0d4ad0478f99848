package redisstore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"xtraauth/store"
)

var (
	_ store.Sessions = (*Store)(nil)
	_ store.Counters = (*Store)(nil)
	_ store.Captchas = (*Store)(nil)
)

// Store implements store.Sessions, store.Counters and store.Captchas on
// Redis. It holds no state of its own, so any number of Store values, in
// any number of processes, may share one Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a Store whose keys all start with prefix (such as "xa:"),
// so several installations or tests can share one Redis.
func New(client redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: client, prefix: prefix}
}

func (s *Store) hitsKey(key string) string  { return s.prefix + "hits:" + key }
func (s *Store) captchaKey(id int64) string { return fmt.Sprintf("%scaptcha:%d", s.prefix, id) }
func (s *Store) newestKey(binding, address string) string {
	return s.prefix + "captcha-newest:" + binding + "|" + address
}

// counterKeys returns the failure and lock keys of subject, which share the
// hash tag {subject} and so one cluster slot.
func (s *Store) counterKeys(subject string) (fails, lock string) {
	tag := s.prefix + "{" + escapeSubject(subject) + "}"
	return tag + failsSuffix, tag + lockSuffix
}

// emptySubject stands for "" because Redis ignores an empty hash tag "{}"
// and would hash the two keys apart. Escaping never yields a lone "%".
const emptySubject = "%"

func escapeSubject(subject string) string {
	if subject == "" {
		return emptySubject
	}
	return subjectEscaper.Replace(subject)
}

func unescapeSubject(enc string) string {
	if enc == emptySubject {
		return ""
	}
	return subjectUnescaper.Replace(enc)
}

const (
	failsSuffix = ":fails"
	lockSuffix  = ":lock"
)

// A '}' in a subject would end the hash tag early and a '{' would confuse
// parsing, so both are %-escaped, along with '%' to keep it reversible.
var (
	subjectEscaper   = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")
	subjectUnescaper = strings.NewReplacer("%25", "%", "%7B", "{", "%7D", "}")
	globEscaper      = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)
)

// subjectOf is the inverse of counterKeys; ok is false for other keys.
func (s *Store) subjectOf(key string) (subject string, ok bool) {
	rest, ok := strings.CutPrefix(key, s.prefix+"{")
	if !ok {
		return "", false
	}
	enc, ok := strings.CutSuffix(rest, "}"+failsSuffix)
	if !ok {
		enc, ok = strings.CutSuffix(rest, "}"+lockSuffix)
	}
	if !ok || strings.ContainsAny(enc, "{}") {
		return "", false
	}
	return unescapeSubject(enc), true
}

// millis converts d for PX/PEXPIRE, rounding up so a positive duration
// never becomes 0, which Redis would reject or treat as "expire now".
func millis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

func checkTTL(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("redisstore: %s must be positive, got %v", what, d)
	}
	return nil
}

// fail wraps a Redis error; callers treat any such error as "deny".
func fail(op string, err error) error {
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// notFound maps redis.Nil to store.ErrNotFound and wraps anything else.
func notFound(op string, err error) error {
	if errors.Is(err, redis.Nil) {
		return store.ErrNotFound
	}
	return fail(op, err)
}
