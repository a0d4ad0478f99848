// Package config reads xtraauth's settings from the environment and from
// flags of the same name in kebab-case (a flag wins over the environment).
// A bad value is an error naming the setting, so the process can exit with
// one clear line.
package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Config is every setting, parsed.
type Config struct {
	Addr           string
	DataDir        string
	DatabaseURL    string
	DatabasePool   int
	RedisURL       string
	RedisCluster   []string
	RedisPrefix    string
	SessionTTL     time.Duration
	DMSTokenTTL    time.Duration
	PublicURL      string
	CaptchaAfter   int
	LockAfter      int
	LockFor        time.Duration
	CaptchaTTL     time.Duration
	OAuthTokenTTL  time.Duration
	TrustedProxies []netip.Prefix
	JWTSecret      string
	LogFormat      string
	AuditRetention time.Duration
	AdminLogin     string
	AdminPassword  string
	Argon2         Argon2
	Integrations   Integrations
}

// Argon2 is the cost of password hashing (the parts a hash records).
type Argon2 struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
}

type setting struct {
	env, def, usage string
	parse           func(c *Config, v string) error
}

// settings lists every setting with its default; the flag name is the env
// name without XTRA_, in kebab-case.
var settings = []setting{
	{"XTRA_ADDR", ":8081", "listen address", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"XTRA_DATA_DIR", "./data", "directory of the SQLite file and redis.addr", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"XTRA_DATABASE_URL", "", "empty = SQLite in the data dir; postgres://... = PostgreSQL", func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"XTRA_DATABASE_POOL", "16", "most open SQL connections, all kept open when idle", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("want a whole number from 1 to 1000, got %q", v)
		}
		c.DatabasePool = n
		return nil
	}},
	{"XTRA_REDIS_URL", "", "empty = embedded Redis; redis:// or rediss://", func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{"XTRA_REDIS_CLUSTER", "", "comma-separated host:port of a Redis Cluster", func(c *Config, v string) error { c.RedisCluster = splitList(v); return nil }},
	{"XTRA_REDIS_PREFIX", "xtraauth:", "prefix of every Redis key (several deployments on one Redis)", func(c *Config, v string) error { c.RedisPrefix = v; return nil }},
	{"XTRA_SESSION_TTL", "24h", "session lifetime (at most 720h)", lifetimeTo(func(c *Config) *time.Duration { return &c.SessionTTL })},
	{"XTRA_DMS_TOKEN_TTL", "2h", "DMS token (dms-token JWT) lifetime, as DMS's (at most 720h)", lifetimeTo(func(c *Config) *time.Duration { return &c.DMSTokenTTL })},
	{"XTRA_PUBLIC_URL", "", "the page's base URL (https makes every cookie Secure; links in messages)", parsePublicURL},
	{"XTRA_CAPTCHA_AFTER", "2", "failures before a captcha is needed (0 = never)", intTo(func(c *Config) *int { return &c.CaptchaAfter })},
	{"XTRA_LOCK_AFTER", "5", "failures that lock a login (0 = never)", intTo(func(c *Config) *int { return &c.LockAfter })},
	{"XTRA_LOCK_FOR", "2h", "how long a lock lasts", durationTo(func(c *Config) *time.Duration { return &c.LockFor })},
	{"XTRA_CAPTCHA_TTL", "5m", "captcha lifetime", durationTo(func(c *Config) *time.Duration { return &c.CaptchaTTL })},
	{"XTRA_OAUTH_TOKEN_TTL", "12h", "OAuth access token lifetime (at most 720h)", lifetimeTo(func(c *Config) *time.Duration { return &c.OAuthTokenTTL })},
	{"XTRA_TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is believed", parseProxies},
	{"XTRA_JWT_SECRET", "", "HS256 secret of DMS tokens (else generated once and kept in SQL)", func(c *Config, v string) error { c.JWTSecret = v; return nil }},
	{"XTRA_LOG_FORMAT", "text", "text or json", parseLogFormat},
	{"XTRA_AUDIT_RETENTION", "90d", "how long audit events are kept", durationTo(func(c *Config) *time.Duration { return &c.AuditRetention })},
	{"XTRA_ADMIN_LOGIN", "admin", "login of the super admin made on first start", func(c *Config, v string) error { c.AdminLogin = v; return nil }},
	{"XTRA_ADMIN_PASSWORD", "", "its password (else generated and printed once)", func(c *Config, v string) error { c.AdminPassword = v; return nil }},
	{"XTRA_ARGON2_MEMORY", "65536", "argon2id memory in KiB", uintTo(func(c *Config) *uint32 { return &c.Argon2.Memory })},
	{"XTRA_ARGON2_TIME", "3", "argon2id passes", uintTo(func(c *Config) *uint32 { return &c.Argon2.Time })},
	{"XTRA_ARGON2_THREADS", "2", "argon2id lanes", func(c *Config, v string) error {
		n, err := strconv.ParseUint(v, 10, 8)
		if err != nil || n == 0 {
			return fmt.Errorf("want a whole number from 1 to 255, got %q", v)
		}
		c.Argon2.Threads = uint8(n)
		return nil
	}},
}

// allSettings are the settings above and those of the integrations.
var allSettings = slices.Concat(settings, integrationSettings())

// secretSettings are never offered as flags, which other users can read.
var secretSettings = map[string]bool{"XTRA_ADMIN_PASSWORD": true, "XTRA_JWT_SECRET": true}

func isSecret(env string) bool {
	return secretSettings[env] || slices.Contains(integrationSecrets, env)
}

// FlagName is the kebab-case flag of an env name.
func FlagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "XTRA_")), "_", "-")
}

// AddFlags declares a flag for every setting but the secret ones.
func AddFlags(fs *pflag.FlagSet) {
	for _, s := range allSettings {
		if !isSecret(s.env) {
			fs.String(FlagName(s.env), s.def, s.usage+" ("+s.env+")")
		}
	}
}

// Load reads every setting: a changed flag, else the environment, else the
// default. fs may be nil.
func Load(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	if fs == nil {
		fs = pflag.NewFlagSet("none", pflag.ContinueOnError)
	}
	var c Config
	for _, s := range allSettings {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		if f := fs.Lookup(FlagName(s.env)); f != nil && f.Changed {
			v = f.Value.String()
		}
		if err := s.parse(&c, strings.TrimSpace(v)); err != nil {
			return Config{}, fmt.Errorf("%s: %w", s.env, err)
		}
	}
	if err := checkIntegrations(&c.Integrations); err != nil {
		return Config{}, err
	}
	return c, nil
}

func durationTo(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 90s, 30m, 2h or 90d, got %q", v)
		}
		*field(c) = d
		return nil
	}
}

// parseDuration reads a Go duration, or a whole number of days ("90d").
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(v)
}

// maxLifetime bounds what sessions and tokens may live: the session store
// keeps its indexes a little longer than that.
const maxLifetime = 720 * time.Hour

func lifetimeTo(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		if err := durationTo(field)(c, v); err != nil {
			return err
		}
		if *field(c) > maxLifetime {
			return fmt.Errorf("want at most %v, got %q", maxLifetime, v)
		}
		return nil
	}
}

func intTo(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return fmt.Errorf("want a whole number from 0 to 1000, got %q", v)
		}
		*field(c) = n
		return nil
	}
}

func uintTo(field func(*Config) *uint32) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return fmt.Errorf("want a positive whole number, got %q", v)
		}
		*field(c) = uint32(n)
		return nil
	}
}

func parseProxies(c *Config, v string) error {
	for _, s := range splitList(v) {
		p, err := parsePrefix(s)
		if err != nil {
			return fmt.Errorf("want CIDRs such as 10.0.0.0/8, got %q", s)
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	return nil
}

// parsePrefix reads a CIDR, or a lone address as a range of one.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parsePublicURL(c *Config, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http:// or https:// URL such as https://auth.example.com, got %q", v)
	}
	c.PublicURL = strings.TrimSuffix(v, "/")
	return nil
}

func parseLogFormat(c *Config, v string) error {
	if v != "text" && v != "json" {
		return fmt.Errorf("want text or json, got %q", v)
	}
	c.LogFormat = v
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
