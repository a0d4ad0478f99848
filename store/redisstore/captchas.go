package redisstore

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"xtraauth/store"
)

// PutCaptcha stores c with SET NX, then points its binding's "newest" key
// at it with the same TTL, so the pointer never outlives the captcha by
// much. The two keys may sit in different slots; the pointer is only a hint
// that NewestCaptcha double-checks.
func (s *Store) PutCaptcha(ctx context.Context, id int64, c store.Captcha, ttl time.Duration) error {
	if err := checkTTL("captcha ttl", ttl); err != nil {
		return err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return fail("encode captcha", err)
	}
	ok, err := s.rdb.SetNX(ctx, s.captchaKey(id), data, ttl).Result()
	if err != nil {
		return fail("put captcha", err)
	}
	if !ok {
		return store.ErrAlreadyExists
	}
	if err := s.rdb.Set(ctx, s.newestKey(c.Binding, c.Address), id, ttl).Err(); err != nil {
		return fail("mark newest captcha", err)
	}
	return nil
}

func (s *Store) GetCaptcha(ctx context.Context, id int64) (store.Captcha, error) {
	data, err := s.rdb.Get(ctx, s.captchaKey(id)).Bytes()
	if err != nil {
		return store.Captcha{}, notFound("get captcha", err)
	}
	return decodeCaptcha(data)
}

// TakeCaptcha uses GETDEL, so of many concurrent takers exactly one wins.
func (s *Store) TakeCaptcha(ctx context.Context, id int64) (store.Captcha, error) {
	data, err := s.rdb.GetDel(ctx, s.captchaKey(id)).Bytes()
	if err != nil {
		return store.Captcha{}, notFound("take captcha", err)
	}
	return decodeCaptcha(data)
}

func decodeCaptcha(data []byte) (store.Captcha, error) {
	var c store.Captcha
	if err := json.Unmarshal(data, &c); err != nil {
		return store.Captcha{}, fail("decode captcha", err)
	}
	return c, nil
}

// NewestCaptcha returns the captcha most recently put for binding from
// address, or ErrNotFound once that one is taken or expired: an older
// captcha of the same binding does not become "newest" again.
func (s *Store) NewestCaptcha(ctx context.Context, binding, address string) (int64, error) {
	v, err := s.rdb.Get(ctx, s.newestKey(binding, address)).Result()
	if err != nil {
		return 0, notFound("newest captcha", err)
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fail("newest captcha", err)
	}
	n, err := s.rdb.Exists(ctx, s.captchaKey(id)).Result()
	if err != nil {
		return 0, fail("newest captcha", err)
	}
	if n == 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}
