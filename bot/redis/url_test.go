package redis

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// TestParseURL checks the options each kind of REDIS_URL produces, after
// our defaults are applied.
func TestParseURL(t *testing.T) {
	defPool := DefaultPoolSize()
	// view is the part of the go-redis options we decide on.
	type view struct {
		Kind                    Deployment
		Addrs                   []string
		Master                  string
		DB                      int
		Username, Password      string
		SentinelPassword        string
		TLS                     bool
		Dial, Read, Write, Pool time.Duration
		PoolSize, MaxRetries    int
		DialRetries             int
	}
	viewOf := func(c clientConfig) view {
		switch c.Kind {
		case Single:
			o := c.Single
			return view{Single, []string{o.Addr}, "", o.DB, o.Username, o.Password, "", o.TLSConfig != nil,
				o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.PoolSize, o.MaxRetries, o.DialerRetries}
		case Sentinel:
			o := c.Failover
			return view{Sentinel, o.SentinelAddrs, o.MasterName, o.DB, o.Username, o.Password, o.SentinelPassword, o.TLSConfig != nil,
				o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.PoolSize, o.MaxRetries, o.DialerRetries}
		case Cluster:
			o := c.Cluster
			return view{Cluster, o.Addrs, "", 0, o.Username, o.Password, "", o.TLSConfig != nil,
				o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.PoolSize, o.MaxRetries, o.DialerRetries}
		}
		return view{}
	}
	s, ms := time.Second, time.Millisecond
	tests := []struct {
		name string
		url  string
		opts Options
		want view
	}{
		{"single", "redis://127.0.0.1:6379/0", Options{},
			view{Single, []string{"127.0.0.1:6379"}, "", 0, "", "", "", false, s, s, s, s, defPool, 1, 1}},
		{"single defaults host and port", "redis://:pw@myhost", Options{},
			view{Single, []string{"myhost:6379"}, "", 0, "", "pw", "", false, s, s, s, s, defPool, 1, 1}},
		{"single TLS, user, db", "rediss://bot:s3cret@redis.internal:6380/2", Options{},
			view{Single, []string{"redis.internal:6380"}, "", 2, "bot", "s3cret", "", true, s, s, s, s, defPool, 1, 1}},
		{"options override defaults", "redis://h:1/0", Options{DialTimeout: 3 * s, ReadTimeout: 250 * ms, WriteTimeout: 300 * ms, PoolTimeout: 2 * s, PoolSize: 7, MaxRetries: -1},
			view{Single, []string{"h:1"}, "", 0, "", "", "", false, 3 * s, 250 * ms, 300 * ms, 2 * s, 7, -1, 1}},
		{"URL query overrides options", "redis://h:1/0?read_timeout=2s&pool_size=50&max_retries=3", Options{ReadTimeout: 250 * ms, PoolSize: 7},
			view{Single, []string{"h:1"}, "", 0, "", "", "", false, s, 2 * s, s, s, 50, 3, 1}},
		{"sentinel", "redis://:sentpw@s1:26379?master_name=mymaster&addr=s2:26379&addr=s3:26379&password=masterpw",
			Options{},
			view{Sentinel, []string{"s1:26379", "s2:26379", "s3:26379"}, "mymaster", 0, "", "masterpw", "sentpw", false, s, s, s, s, defPool, 1, 1}},
		{"sentinel TLS with db", "rediss://s1:26379/3?master_name=m", Options{},
			view{Sentinel, []string{"s1:26379"}, "m", 3, "", "", "", true, s, s, s, s, defPool, 1, 1}},
		{"cluster", "redis://:pw@n1:7000?cluster=1&addr=n2:7000&addr=n3:7000", Options{},
			view{Cluster, []string{"n1:7000", "n2:7000", "n3:7000"}, "", 0, "", "pw", "", false, s, s, s, s, defPool, 1, 1}},
		{"cluster=true, TLS, tuning kept", "rediss://n1:7000/0?cluster=true&read_timeout=3s", Options{},
			view{Cluster, []string{"n1:7000"}, "", 0, "", "", "", true, s, 3 * s, s, s, defPool, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseURL(tt.url)
			if err != nil {
				t.Fatalf("parseURL(%q) = %v", tt.url, err)
			}
			cfg.applyDefaults(tt.opts)
			if diff := cmp.Diff(tt.want, viewOf(cfg)); diff != "" {
				t.Errorf("parseURL(%q) (-want +got):\n%s", tt.url, diff)
			}
		})
	}
}

// TestParseURLErrors: one clear error naming REDIS_URL, never the password.
func TestParseURLErrors(t *testing.T) {
	const pw = "hunter2-secret"
	tests := []struct{ url, mention string }{
		{"", "empty"},
		{"   ", "empty"},
		{"http://:" + pw + "@h:6379", "scheme"},
		{"localhost:6379", "scheme"},
		{"redis://:" + pw + "@h:6379/%zz", "not a valid URL"},
		{"redis://:" + pw + "@h:6379/x", "database"},
		{"redis://:" + pw + "@h:6379/0?bogus=1", "bogus"},
		{"redis://:" + pw + "@h:6379/0?read_timeout=soon", "read_timeout"},
		{"redis://:" + pw + "@h:6379?addr=h2:6379", "cluster=1 or master_name"},
		{"redis://:" + pw + "@h:6379?cluster=2", "cluster must be"},
		{"redis://:" + pw + "@h:6379?cluster=1&master_name=m", "not both"},
		{"redis://:" + pw + "@h:6379/3?cluster=1", "database 0"},
		{"redis://:" + pw + "@h:7000?cluster=1&addr=nohostport", "addr"},
		{"redis://h:26379?master_name=", "master_name is empty"},
		{"redis://h:26379?master_name=m&password=" + pw + "&bogus=1", "bogus"},
		{"redis:///0", "missing host"},
	}
	for _, tt := range tests {
		_, err := parseURL(tt.url)
		if err == nil {
			t.Errorf("parseURL(%q) = nil error", tt.url)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "REDIS_URL") {
			t.Errorf("parseURL(%q) = %q, want it to start with REDIS_URL", tt.url, msg)
		}
		if !strings.Contains(msg, tt.mention) {
			t.Errorf("parseURL(%q) = %q, want it to mention %q", tt.url, msg, tt.mention)
		}
		if strings.Contains(msg, pw) {
			t.Errorf("parseURL(%q) = %q leaks the password", tt.url, msg)
		}
	}
}

// TestOpen covers start-up: a bad URL, an unreachable server, a bad prefix.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	const pw = "hunter2-secret"
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	_, err = Open(ctx, "redis://:"+pw+"@"+dead+"/0", Options{DialTimeout: time.Second, MaxRetries: -1})
	if !errors.Is(err, bot.ErrUnavailable) || !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), pw) {
		t.Errorf("Open(unreachable) = %v; want ErrUnavailable naming REDIS_URL without the password", err)
	}
	if _, err := Open(ctx, "redis://:"+pw+"@h:6379/0?nope=1", Options{}); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("Open(bad URL) = %v", err)
	}
	redisURL, _ := testServer(t)
	if _, err := Open(ctx, redisURL, Options{Prefix: "mlsd:{v1}"}); err == nil {
		t.Error("Open with braces in the prefix = nil error")
	}
	if mini := startAuthMiniredis(t); mini != "" {
		if _, err := Open(ctx, strings.Replace(mini, "test-secret", "wrong-"+pw, 1), Options{}); err == nil || strings.Contains(err.Error(), pw) {
			t.Errorf("Open(wrong password) = %v; want an error without the password", err)
		}
	}
	s := openTestStore(t, redisURL, Options{})
	if s.Deployment() != Single {
		t.Errorf("Deployment() = %s, want %s", s.Deployment(), Single)
	}
}

// startAuthMiniredis returns a URL of a password-protected miniredis.
func startAuthMiniredis(t *testing.T) string {
	u, _ := startMiniredis(t)
	return u
}
