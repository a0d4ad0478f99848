package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"xtraauth/fault"

	"golang.org/x/crypto/bcrypt"
)

// ErrBusy means every hashing slot stayed taken for the whole wait: the
// caller answers 503 with Retry-After instead of queueing without bound.
var ErrBusy = fault.After(fault.Busy, "Service Unavailable", busyRetry)

// busyRetry is when a client refused for a busy pool should try again.
const busyRetry = 2 * time.Second

// ErrBadHash means a stored hash is in no format we know.
var ErrBadHash = errors.New("unrecognised password hash")

// HashParams are the argon2id cost parameters. They are configuration:
// production uses DefaultHashParams, tests use cheap ones.
type HashParams struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultHashParams follow the second recommendation of RFC 9106 (64 MiB, 3 passes).
var DefaultHashParams = HashParams{Time: 3, Memory: 64 * 1024, Threads: 2, KeyLen: 32, SaltLen: 16}

// Hasher hashes and verifies passwords on a bounded pool of slots, so that a
// login storm queues for at most Wait instead of exhausting memory.
type Hasher struct {
	params HashParams
	slots  chan struct{}
	wait   time.Duration
	now    func() time.Time // to time each hash
	// observe, when set, receives the duration of every hash (for metrics).
	observe func(time.Duration)
}

// NewHasher makes a hasher with size concurrent slots; a request waits at
// most wait for one.
func NewHasher(p HashParams, size int, wait time.Duration, now func() time.Time, observe func(time.Duration)) *Hasher {
	if size < 1 {
		size = 1
	}
	return &Hasher{params: p, slots: make(chan struct{}, size), wait: wait, now: now, observe: observe}
}

// Hash returns the argon2id PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	var key []byte
	_, err := h.run(ctx, func() {
		key = argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	})
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded (argon2id PHC or bcrypt),
// and whether the hash should be replaced by one with the current parameters.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	ok, rehash, _, err = h.verify(ctx, password, encoded)
	return ok, rehash, err
}

// verify is Verify that also tells how long the hash took to compute
// (waiting for a slot not counted).
func (h *Hasher) verify(ctx context.Context, password, encoded string) (ok, rehash bool, took time.Duration, err error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		p, salt, want, err := parseArgon2id(encoded)
		if err != nil {
			return false, false, 0, err
		}
		var got []byte
		took, err := h.run(ctx, func() { got = argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want))) })
		if err != nil {
			return false, false, 0, err
		}
		ok = subtle.ConstantTimeCompare(got, want) == 1
		return ok, ok && p != h.comparable(), took, nil
	case isBcrypt(encoded):
		if _, err := bcrypt.Cost([]byte(encoded)); err != nil { // malformed: refuse before taking a slot
			return false, false, 0, fmt.Errorf("%w: %v", ErrBadHash, err)
		}
		var cmpErr error
		took, err := h.run(ctx, func() { cmpErr = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)) })
		if err != nil {
			return false, false, 0, err
		}
		switch {
		case errors.Is(cmpErr, bcrypt.ErrMismatchedHashAndPassword):
			return false, false, took, nil
		case cmpErr != nil: // a malformed bcrypt string: too short, bad cost, bad salt
			return false, false, 0, fmt.Errorf("%w: %v", ErrBadHash, cmpErr)
		}
		return true, true, took, nil
	}
	return false, false, 0, ErrBadHash
}

// hashKind names what a stored hash costs to verify: its algorithm and
// parameters ("" for a hash of no known format).
func hashKind(encoded string) string {
	if p, _, _, err := parseArgon2id(encoded); err == nil {
		return fmt.Sprintf("argon2id m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
	}
	if cost, err := bcrypt.Cost([]byte(encoded)); err == nil && isBcrypt(encoded) {
		return fmt.Sprintf("bcrypt %d", cost)
	}
	return ""
}

// comparable is the part of the parameters a stored hash records.
func (h *Hasher) comparable() HashParams {
	return HashParams{Time: h.params.Time, Memory: h.params.Memory, Threads: h.params.Threads}
}

func (h *Hasher) run(ctx context.Context, work func()) (time.Duration, error) {
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
	case <-timer.C:
		return 0, ErrBusy
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-h.slots }()
	start := h.now()
	work()
	took := h.now().Sub(start)
	if h.observe != nil {
		h.observe(took)
	}
	return took, nil
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// parseArgon2id reads "$argon2id$v=19$m=65536,t=3,p=2$salt$key"; the
// returned params carry only Time, Memory and Threads.
func parseArgon2id(s string) (p HashParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return p, nil, nil, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, ErrBadHash
	}
	if p.Time == 0 || p.Threads == 0 || p.Memory == 0 || p.Memory > 4<<20 || p.Time > 100 {
		return p, nil, nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, ErrBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}
