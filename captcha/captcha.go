// Package captcha issues and checks captchas. Answers are drawn from
// crypto/rand here; base64Captcha only renders them, as a PNG or, for people
// who cannot read the image, as a WAV of spoken digits. Captchas live in the
// ephemeral store shared by every server process, bound to the login (or
// client address) they were made for, and are used up by their first check.
package captcha

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mojocn/base64Captcha"

	"xtraauth/store"
)

// Length is the number of characters of an answer.
const Length = 4

// maxID keeps ids below 2^53, so JavaScript clients read them exactly.
const maxID = 1 << 53

const (
	// imageAlphabet leaves out characters people confuse (0/O/o, 1/l/I).
	imageAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	audioAlphabet = "0123456789"
)

// Content types of rendered captchas.
const (
	MIMEImage = "image/png"
	MIMEAudio = "audio/wav"
)

// Bindings of captchas: what they were made for.
func LoginBinding(loginKey string) string { return "login:" + loginKey }
func AddressBinding(addr string) string   { return "addr:" + addr }

// Service makes, renders and checks captchas.
type Service struct {
	store store.Captchas
	ttl   time.Duration
	image *base64Captcha.DriverString
	audio *base64Captcha.DriverAudio
}

// New makes a Service whose captchas live ttl.
func New(s store.Captchas, ttl time.Duration) *Service {
	image := base64Captcha.NewDriverString(60, 200, 4, base64Captcha.OptionShowSineLine, Length, imageAlphabet, nil, nil, nil)
	return &Service{store: s, ttl: ttl, image: image, audio: base64Captcha.NewDriverAudio(Length, "en")}
}

// Create issues a captcha for binding, asked for from address, and returns
// its id.
func (s *Service) Create(ctx context.Context, binding, address string, audio bool) (int64, error) {
	alphabet := imageAlphabet
	if audio {
		alphabet = audioAlphabet
	}
	answer, err := randomString(alphabet, Length)
	if err != nil {
		return 0, err
	}
	for {
		id, err := randomID()
		if err != nil {
			return 0, err
		}
		err = s.store.PutCaptcha(ctx, id, store.Captcha{Answer: answer, Binding: binding, Address: address, Audio: audio}, s.ttl)
		if !errors.Is(err, store.ErrAlreadyExists) {
			return id, err
		}
	}
}

// Render draws a live captcha: a PNG, or a WAV for an audio captcha.
// store.ErrNotFound once it is used up or expired.
func (s *Service) Render(ctx context.Context, id int64) (contentType string, data []byte, err error) {
	c, err := s.store.GetCaptcha(ctx, id)
	if err != nil {
		return "", nil, err
	}
	var driver base64Captcha.Driver = s.image
	contentType = MIMEImage
	if c.Audio {
		driver, contentType = s.audio, MIMEAudio
	}
	item, err := driver.DrawCaptcha(c.Answer)
	if err != nil {
		return "", nil, err
	}
	var buf bytes.Buffer
	if _, err := item.WriteTo(&buf); err != nil {
		return "", nil, err
	}
	return contentType, buf.Bytes(), nil
}

// Check uses up one captcha and reports whether answer solves it. The
// captcha is the one named by id; with an empty id, the newest one made
// from address for the first binding that has one (the login's, then the
// address's): so nobody elsewhere can replace the captcha a person is
// answering by making one for their login. A captcha made for another
// binding solves nothing and is not used up.
func (s *Service) Check(ctx context.Context, id, answer, address string, bindings ...string) (bool, error) {
	n, err := s.pick(ctx, id, address, bindings)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c, err := s.store.GetCaptcha(ctx, n)
	if err == nil && !slices.Contains(bindings, c.Binding) {
		return false, nil
	}
	if err == nil {
		c, err = s.store.TakeCaptcha(ctx, n)
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	got, want := strings.ToLower(answer), strings.ToLower(c.Answer)
	return slices.Contains(bindings, c.Binding) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1, nil
}

func (s *Service) pick(ctx context.Context, id, address string, bindings []string) (int64, error) {
	if id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return 0, store.ErrNotFound
		}
		return n, nil
	}
	for _, b := range bindings {
		n, err := s.store.NewestCaptcha(ctx, b, address)
		if !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
	}
	return 0, store.ErrNotFound
}

func randomID() (int64, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(maxID-1))
	if err != nil {
		return 0, err
	}
	return n.Int64() + 1, nil
}

func randomString(alphabet string, n int) (string, error) {
	out := make([]byte, n)
	for i := range out {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		out[i] = alphabet[k.Int64()]
	}
	return string(out), nil
}
