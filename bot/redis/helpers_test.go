package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// testServer names the Redis the tests use: the real server in REDIS_URL
// (CI sets redis://127.0.0.1:6379/0), otherwise an in-process miniredis.
// With CI=true and no REDIS_URL it fails: CI must test real Redis, never
// fall back silently. mini is nil for a real server.
func testServer(t testing.TB) (redisURL string, mini *miniredis.Miniredis) {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u, nil
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but REDIS_URL is unset: the Redis store must be tested against a real redis-server in CI")
	}
	return startMiniredis(t)
}

// startMiniredis runs miniredis on a TCP port (never m.Dial: its net.Pipe
// deadlocks on large pipelines) with a password, like a real deployment.
func startMiniredis(t testing.TB) (string, *miniredis.Miniredis) {
	t.Helper()
	m := miniredis.NewMiniRedis()
	m.RequireAuth("test-secret")
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		t.Fatalf("start miniredis: %v", err)
	}
	t.Cleanup(m.Close)
	return "redis://:test-secret@" + m.Addr() + "/0", m
}

var unsafePrefixChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// testPrefix is unique per test and run, so tests sharing one real Redis
// never see each other's keys.
func testPrefix(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	return "mlsdtest:" + unsafePrefixChars.ReplaceAllString(t.Name(), "_") + ":" + hex.EncodeToString(b[:])
}

// newTestStore opens a store on testServer with a unique prefix and deletes
// its keys afterwards.
func newTestStore(t testing.TB, opts Options) (*Store, *miniredis.Miniredis) {
	t.Helper()
	redisURL, mini := testServer(t)
	return openTestStore(t, redisURL, opts), mini
}

func openTestStore(t testing.TB, redisURL string, opts Options) *Store {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = testPrefix(t)
	}
	s, err := Open(context.Background(), redisURL, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		deleteKeys(t, s.rdb, s.keys.prefix)
		s.Close()
	})
	return s
}

// deleteKeys removes a test's keys from a shared server.
func deleteKeys(t testing.TB, rdb goredis.UniversalClient, prefix string) {
	ctx := context.Background()
	if c, ok := rdb.(*goredis.ClusterClient); ok {
		clusterDeleteKeys(ctx, c, prefix+":*")
		return
	}
	iter := rdb.Scan(ctx, 0, prefix+":*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
	}
	if iter.Err() != nil {
		return // the test may have closed or broken the connection on purpose
	}
	if len(batch) > 0 {
		rdb.Del(ctx, batch...)
	}
}

var t0 = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

func testUser(id string) bot.UserKey {
	return bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: id}
}

// newSession is a fresh active session at version 1.
func newSession(u bot.UserKey, id string) bot.Session {
	return bot.Session{
		ID: id, Version: 1, User: u, UserName: "Ada " + u.UserID, Channel: "C1",
		ScenarioID: "feed-ranking", Mode: bot.Mock, Status: bot.Active, Step: bot.Clarify,
		Started: t0, Updated: t0,
	}
}

// next returns ses advanced by one change, as the engine would.
func next(ses bot.Session, mutate func(*bot.Session)) bot.Change {
	expected := ses.Version
	ses.Version++
	if mutate != nil {
		mutate(&ses)
	}
	return bot.Change{Session: ses, Expected: expected, TTL: time.Hour}
}

func mustSave(t testing.TB, s *Store, ch bot.Change) bot.Session {
	t.Helper()
	if err := s.Save(context.Background(), ch); err != nil {
		t.Fatalf("Save(%s v%d expected %d, msg %q) = %v", ch.Session.ID, ch.Session.Version, ch.Expected, ch.MessageID, err)
	}
	return ch.Session
}

// proxyMode is how the proxy treats new connections.
type proxyMode int

const (
	forward     proxyMode = iota
	silent                // accept and read, never answer: a hung server
	dropReplies           // forward requests, lose the replies: Redis acts, the client never hears
)

// proxy is a TCP forwarder to Redis that a test can take down, bring back
// on the same address, or make misbehave. It works the same in front of
// miniredis and of a real redis-server, so the fault tests run in CI.
type proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	mode  proxyMode
	wg    sync.WaitGroup
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() { p.down(); p.wg.Wait() })
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.handle(c)
		}
	}()
}

func (p *proxy) handle(client net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[client] = struct{}{}
	if p.mode == silent {
		p.wg.Add(1)
		go func() { defer p.wg.Done(); io.Copy(io.Discard, client) }()
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.conns[server] = struct{}{}
	p.wg.Add(2)
	go func() { defer p.wg.Done(); io.Copy(server, client); server.Close() }()
	go func() { defer p.wg.Done(); io.Copy(replyWriter{p, client}, server); client.Close() }()
}

// replyWriter forwards server replies unless the proxy is losing them. It
// checks on every write, so live pooled connections (past their
// handshake) start losing replies at once.
type replyWriter struct {
	p *proxy
	w io.Writer
}

func (r replyWriter) Write(b []byte) (int, error) {
	r.p.mu.Lock()
	drop := r.p.mode == dropReplies
	r.p.mu.Unlock()
	if drop {
		return len(b), nil
	}
	return r.w.Write(b)
}

// down closes the listener and every connection: Redis is gone.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.dropConnsLocked()
}

func (p *proxy) dropConnsLocked() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// up listens again on the same address: Redis is back.
func (p *proxy) up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy relisten on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// setMode changes how connections behave. Switching to silent drops the
// current connections so pooled ones reconnect into the hung server;
// dropReplies applies to live connections too.
func (p *proxy) setMode(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if m == silent {
		p.dropConnsLocked()
	}
}

// urlVia rewrites a redis:// URL to go through the proxy.
func (p *proxy) urlVia(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		p.t.Fatalf("parse %s: %v", redact(raw), err)
	}
	u.Host = p.addr
	return u.String()
}

// targetOf is the host:port a single-node URL points at.
func targetOf(t testing.TB, raw string) string {
	t.Helper()
	cfg, err := parseURL(raw)
	if err != nil || cfg.Kind != Single {
		t.Fatalf("need a single-node REDIS_URL, got %s (%v)", redact(raw), err)
	}
	return cfg.Single.Addr
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func isNotActive(err error) bool { return errors.Is(err, bot.ErrNotActive) }
