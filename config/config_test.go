package config_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"xtraauth/config"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func load(t *testing.T, env map[string]string, args ...string) (config.Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	config.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return config.Load(fs, envOf(env))
}

func TestDefaults(t *testing.T) {
	for _, withFlags := range []bool{false, true} {
		var c config.Config
		var err error
		if withFlags {
			c, err = load(t, nil)
		} else {
			c, err = config.Load(nil, envOf(nil))
		}
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]any{
			"Addr": c.Addr, "DataDir": c.DataDir, "DatabaseURL": c.DatabaseURL, "RedisURL": c.RedisURL,
			"RedisCluster": len(c.RedisCluster), "SessionTTL": c.SessionTTL, "CaptchaAfter": c.CaptchaAfter,
			"LockAfter": c.LockAfter, "LockFor": c.LockFor, "CaptchaTTL": c.CaptchaTTL, "OAuthTokenTTL": c.OAuthTokenTTL,
			"TrustedProxies": len(c.TrustedProxies), "JWTSecret": c.JWTSecret, "LogFormat": c.LogFormat,
			"AdminLogin": c.AdminLogin, "AdminPassword": c.AdminPassword, "Argon2": c.Argon2,
		}
		want := map[string]any{
			"Addr": ":8081", "DataDir": "./data", "DatabaseURL": "", "RedisURL": "",
			"RedisCluster": 0, "SessionTTL": 24 * time.Hour, "CaptchaAfter": 2,
			"LockAfter": 5, "LockFor": 2 * time.Hour, "CaptchaTTL": 5 * time.Minute, "OAuthTokenTTL": 12 * time.Hour,
			"TrustedProxies": 0, "JWTSecret": "", "LogFormat": "text",
			"AdminLogin": "admin", "AdminPassword": "", "Argon2": config.Argon2{Memory: 65536, Time: 3, Threads: 2},
		}
		for k, w := range want {
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("flags=%v: %s is %v, want %v", withFlags, k, got[k], w)
			}
		}
		if c.Argon2.Memory != 65536 || c.Argon2.Time != 3 || c.Argon2.Threads != 2 {
			t.Fatalf("hash params %+v", c.Argon2)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		env   string
		value string
		check func(c config.Config) bool
	}{
		{"XTRA_ADDR", "127.0.0.1:9000", func(c config.Config) bool { return c.Addr == "127.0.0.1:9000" }},
		{"XTRA_DATA_DIR", "/var/lib/xtra", func(c config.Config) bool { return c.DataDir == "/var/lib/xtra" }},
		{"XTRA_DATABASE_URL", "postgres://u@h/db", func(c config.Config) bool { return c.DatabaseURL == "postgres://u@h/db" }},
		{"XTRA_REDIS_URL", "redis://h:6379/0", func(c config.Config) bool { return c.RedisURL == "redis://h:6379/0" }},
		{"XTRA_REDIS_CLUSTER", "a:7000, b:7001,,", func(c config.Config) bool {
			return reflect.DeepEqual(c.RedisCluster, []string{"a:7000", "b:7001"})
		}},
		{"XTRA_SESSION_TTL", "90m", func(c config.Config) bool { return c.SessionTTL == 90*time.Minute }},
		{"XTRA_SESSION_TTL", " 1h ", func(c config.Config) bool { return c.SessionTTL == time.Hour }},
		{"XTRA_CAPTCHA_AFTER", "0", func(c config.Config) bool { return c.CaptchaAfter == 0 }},
		{"XTRA_CAPTCHA_AFTER", "3", func(c config.Config) bool { return c.CaptchaAfter == 3 }},
		{"XTRA_LOCK_AFTER", "0", func(c config.Config) bool { return c.LockAfter == 0 }},
		{"XTRA_LOCK_FOR", "30m", func(c config.Config) bool { return c.LockFor == 30*time.Minute }},
		{"XTRA_SESSION_TTL", "720h", func(c config.Config) bool { return c.SessionTTL == 720*time.Hour }},
		{"XTRA_DATABASE_POOL", "4", func(c config.Config) bool { return c.DatabasePool == 4 }},
		{"XTRA_AUDIT_RETENTION", "30d", func(c config.Config) bool { return c.AuditRetention == 30*24*time.Hour }},
		{"XTRA_DMS_TOKEN_TTL", "30m", func(c config.Config) bool { return c.DMSTokenTTL == 30*time.Minute }},
		{"XTRA_PUBLIC_URL", "https://auth.example.com/", func(c config.Config) bool { return c.PublicURL == "https://auth.example.com" }},
		{"XTRA_AUDIT_RETENTION", "36h", func(c config.Config) bool { return c.AuditRetention == 36*time.Hour }},
		{"XTRA_CAPTCHA_TTL", "1m", func(c config.Config) bool { return c.CaptchaTTL == time.Minute }},
		{"XTRA_OAUTH_TOKEN_TTL", "1h", func(c config.Config) bool { return c.OAuthTokenTTL == time.Hour }},
		{"XTRA_JWT_SECRET", "s3cret", func(c config.Config) bool { return c.JWTSecret == "s3cret" }},
		{"XTRA_LOG_FORMAT", "json", func(c config.Config) bool { return c.LogFormat == "json" }},
		{"XTRA_ADMIN_LOGIN", "root", func(c config.Config) bool { return c.AdminLogin == "root" }},
		{"XTRA_ADMIN_PASSWORD", "pw", func(c config.Config) bool { return c.AdminPassword == "pw" }},
		{"XTRA_ARGON2_MEMORY", "1024", func(c config.Config) bool { return c.Argon2.Memory == 1024 }},
		{"XTRA_ARGON2_TIME", "1", func(c config.Config) bool { return c.Argon2.Time == 1 }},
		{"XTRA_ARGON2_THREADS", "4", func(c config.Config) bool { return c.Argon2.Threads == 4 }},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			c, err := config.Load(nil, envOf(map[string]string{tt.env: tt.value}))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("%+v", c)
			}
		})
	}
}

func TestFlagWinsOverEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(c config.Config) bool
	}{
		{"flag over env", map[string]string{"XTRA_SESSION_TTL": "2h"}, []string{"--session-ttl=1h"},
			func(c config.Config) bool { return c.SessionTTL == time.Hour }},
		{"flag alone", nil, []string{"--addr", ":9999"}, func(c config.Config) bool { return c.Addr == ":9999" }},
		{"unset flag leaves env", map[string]string{"XTRA_SESSION_TTL": "2h"}, nil,
			func(c config.Config) bool { return c.SessionTTL == 2*time.Hour }},
		{"flag set to the default still wins", map[string]string{"XTRA_LOCK_AFTER": "9"}, []string{"--lock-after=5"},
			func(c config.Config) bool { return c.LockAfter == 5 }},
		{"multi-word names", map[string]string{"XTRA_TRUSTED_PROXIES": "10.0.0.0/8"}, []string{"--trusted-proxies=192.168.0.0/16", "--captcha-after=0"},
			func(c config.Config) bool {
				return len(c.TrustedProxies) == 1 && c.TrustedProxies[0].String() == "192.168.0.0/16" && c.CaptchaAfter == 0
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("%+v", c)
			}
		})
	}
	t.Run("secrets have no flags", func(t *testing.T) {
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		config.AddFlags(fs)
		for _, name := range []string{"admin-password", "jwt-secret"} {
			if fs.Lookup(name) != nil {
				t.Errorf("flag --%s exists", name)
			}
		}
		for _, name := range []string{"addr", "session-ttl", "trusted-proxies", "redis-cluster", "log-format"} {
			if fs.Lookup(name) == nil {
				t.Errorf("flag --%s missing", name)
			}
		}
	})
}

func TestBadValuesNameTheSetting(t *testing.T) {
	tests := []struct {
		env, value string
	}{
		{"XTRA_SESSION_TTL", "forever"},
		{"XTRA_SESSION_TTL", "24"},
		{"XTRA_SESSION_TTL", "0s"},
		{"XTRA_SESSION_TTL", "-1h"},
		{"XTRA_CAPTCHA_AFTER", "two"},
		{"XTRA_CAPTCHA_AFTER", "-1"},
		{"XTRA_CAPTCHA_AFTER", "1.5"},
		{"XTRA_LOCK_AFTER", "x"},
		{"XTRA_LOCK_AFTER", "1001"},
		{"XTRA_LOCK_FOR", "2 hours"},
		{"XTRA_CAPTCHA_TTL", "5"},
		{"XTRA_OAUTH_TOKEN_TTL", "1.5d"},
		{"XTRA_OAUTH_TOKEN_TTL", "721h"},
		{"XTRA_SESSION_TTL", "1000h"},
		{"XTRA_DATABASE_POOL", "0"},
		{"XTRA_AUDIT_RETENTION", "0d"},
		{"XTRA_DMS_TOKEN_TTL", "1000h"},
		{"XTRA_PUBLIC_URL", "auth.example.com"},
		{"XTRA_PUBLIC_URL", "ftp://auth.example.com"},
		{"XTRA_PUBLIC_URL", "https://"},
		{"XTRA_AUDIT_RETENTION", "1.5d"},
		{"XTRA_AUDIT_RETENTION", "-3d"},
		{"XTRA_DATABASE_POOL", "many"},
		{"XTRA_TRUSTED_PROXIES", "10.0.0.0/33"},
		{"XTRA_TRUSTED_PROXIES", "proxy.example.com"},
		{"XTRA_TRUSTED_PROXIES", "10.0.0.0/8, 300.1.1.1"},
		{"XTRA_LOG_FORMAT", "xml"},
		{"XTRA_ARGON2_MEMORY", "0"},
		{"XTRA_ARGON2_MEMORY", "64MiB"},
		{"XTRA_ARGON2_TIME", "-3"},
		{"XTRA_ARGON2_THREADS", "0"},
		{"XTRA_ARGON2_THREADS", "256"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			_, err := config.Load(nil, envOf(map[string]string{tt.env: tt.value}))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.env+": ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q does not start by naming %s on one line", msg, tt.env)
			}
		})
	}
	t.Run("bad flag", func(t *testing.T) {
		_, err := load(t, nil, "--session-ttl=soon")
		if err == nil || !strings.Contains(err.Error(), "XTRA_SESSION_TTL") || !strings.Contains(err.Error(), "soon") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", nil},
		{"10.1.2.3", []string{"10.1.2.3/32"}},
		{"2001:db8::1", []string{"2001:db8::1/128"}},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
		{"2001:db8::1/64", []string{"2001:db8::/64"}},
		{" 10.0.0.0/8 , 192.168.0.7,,fd00::/8 ", []string{"10.0.0.0/8", "192.168.0.7/32", "fd00::/8"}},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := config.Load(nil, envOf(map[string]string{"XTRA_TRUSTED_PROXIES": tt.value}))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range c.TrustedProxies {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("%v, want %v", got, tt.want)
			}
		})
	}
	t.Run("IPv4-mapped address without length", func(t *testing.T) {
		c, err := config.Load(nil, envOf(map[string]string{"XTRA_TRUSTED_PROXIES": "::ffff:10.0.0.1"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.TrustedProxies) != 1 || !c.TrustedProxies[0].Contains(netip.MustParseAddr("10.0.0.1")) || c.TrustedProxies[0].Bits() < 32 {
			t.Fatalf("%v", c.TrustedProxies)
		}
	})
}
