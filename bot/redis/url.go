package redis

import (
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Deployment is the Redis topology a URL selects.
type Deployment string

const (
	Single   Deployment = "single"   // redis:// or rediss:// to one node
	Sentinel Deployment = "sentinel" // ?master_name=NAME, host and addr= are sentinels
	Cluster  Deployment = "cluster"  // ?cluster=1, host and addr= are seed nodes
)

// Defaults for Options. They are chosen for a chat bot whose every Redis
// command is O(1) and takes well under a millisecond, where a user waits
// for each reply and Slack wants an ack within 3 s:
//
//   - DialTimeout 1 s: Redis sits on the local network; a dial that takes
//     longer means the host is gone, and failing fast lets the user resend.
//   - Read/WriteTimeout 1 s: a healthy server answers in < 10 ms even at
//     p99; a second means failover or overload. With one retry the worst
//     case per command stays near 2 s, inside Slack's 3 s window.
//   - PoolSize 10 × GOMAXPROCS (go-redis's own default, set explicitly):
//     no command blocks on the server, so a connection is held only for one
//     round trip (~0.1 ms) and 20 connections on 2 cores carry > 10⁵
//     commands/s, far above chat rates. Raise it only if PoolStats shows
//     waits.
//   - PoolTimeout 1 s: when every connection is busy for a whole second
//     Redis is in trouble; report ErrUnavailable rather than queue.
//   - MaxRetries 1: one retry on a fresh connection hides a connection that
//     died while idle (a Redis restart); more would only delay the
//     "please send it again" message. Retrying a state change is safe
//     because each Save carries a token the script recognises.
//   - DialerRetries 1: go-redis would otherwise dial 5 times, 100 ms apart,
//     inside each attempt; with MaxRetries covering the retry, a refused
//     connection fails in milliseconds and a black-holed host in
//     2 × DialTimeout.
//
// Worst case for one command when Redis is down or hung: about 2 s.
const (
	DefaultPrefix       = "mlsd:v1"
	DefaultDialTimeout  = time.Second
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
	DefaultPoolTimeout  = time.Second
	DefaultMaxRetries   = 1
	DefaultDialRetries  = 1
)

// DefaultPoolSize is 10 connections per CPU (see the defaults above).
func DefaultPoolSize() int { return 10 * runtime.GOMAXPROCS(0) }

// clientConfig is what a REDIS_URL turns into: exactly one of the option
// structs is set, matching Kind.
type clientConfig struct {
	Kind     Deployment
	Single   *goredis.Options
	Failover *goredis.FailoverOptions
	Cluster  *goredis.ClusterOptions
}

// parseURL dispatches a REDIS_URL to go-redis's parsers. go-redis has no
// universal URL parser and rejects unknown query keys, so we strip our own
// cluster=1 flag before handing the URL over. Errors never contain the
// password.
func parseURL(raw string) (clientConfig, error) {
	fail := func(reason string) (clientConfig, error) {
		return clientConfig{}, fmt.Errorf("REDIS_URL %q: %s", redact(raw), reason)
	}
	if strings.TrimSpace(raw) == "" {
		return fail("empty; unset it to use the embedded store")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included: give our own reason.
		return fail("not a valid URL (percent-encode special characters in the password)")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return fail(fmt.Sprintf("scheme must be redis:// or rediss://, not %q", u.Scheme))
	}
	if u.Opaque != "" || u.Host == "" {
		return fail("missing host (want redis://[:password@]host:port[/db])")
	}
	q := u.Query()
	cluster := false
	if vs, ok := q["cluster"]; ok {
		switch vs[len(vs)-1] {
		case "1", "true":
			cluster = true
		case "0", "false":
		default:
			return fail("cluster must be 1 or 0")
		}
		q.Del("cluster")
		u.RawQuery = q.Encode()
	}
	clean := u.String()
	scrub := func(err error) (clientConfig, error) {
		return fail(scrubSecrets(strings.TrimPrefix(err.Error(), "redis: "), u))
	}
	switch {
	case q.Has("master_name"):
		if cluster {
			return fail("choose either master_name (Sentinel) or cluster=1, not both")
		}
		if q.Get("master_name") == "" {
			return fail("master_name is empty")
		}
		o, err := goredis.ParseFailoverURL(clean)
		if err != nil {
			return scrub(err)
		}
		return clientConfig{Kind: Sentinel, Failover: o}, nil
	case cluster:
		if u.Path != "" && u.Path != "/" && u.Path != "/0" {
			return fail("Redis Cluster has only database 0")
		}
		u.Path = ""
		o, err := goredis.ParseClusterURL(u.String())
		if err != nil {
			return scrub(err)
		}
		return clientConfig{Kind: Cluster, Cluster: o}, nil
	case q.Has("addr"):
		return fail("addr= lists cluster seeds or sentinels: add cluster=1 or master_name=NAME")
	default:
		o, err := goredis.ParseURL(clean)
		if err != nil {
			return scrub(err)
		}
		return clientConfig{Kind: Single, Single: o}, nil
	}
}

// redact hides the userinfo password and a password= query value.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Cut "user:pass@" by hand; we cannot trust the parser here.
		if i := strings.Index(raw, "://"); i >= 0 {
			rest := raw[i+3:]
			if j := strings.LastIndex(rest, "@"); j >= 0 {
				return raw[:i+3] + "xxxxx@" + rest[j+1:]
			}
		}
		return raw
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// scrubSecrets removes any password that a library error might quote.
func scrubSecrets(msg string, u *url.URL) string {
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	if pw := u.Query().Get("password"); pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

// applyDefaults fills every tuning knob the URL left unset from opts, and
// those opts left unset from our defaults. A value set in the URL query
// (read_timeout=2s) wins, so operators can tune without a rebuild.
func (c *clientConfig) applyDefaults(o Options) {
	pick := func(fromURL *time.Duration, fromOpts, def time.Duration) {
		if *fromURL != 0 {
			return
		}
		if fromOpts != 0 {
			*fromURL = fromOpts
			return
		}
		*fromURL = def
	}
	pickInt := func(fromURL *int, fromOpts, def int) {
		if *fromURL != 0 {
			return
		}
		if fromOpts != 0 {
			*fromURL = fromOpts
			return
		}
		*fromURL = def
	}
	set := func(dial, read, write, poolTimeout *time.Duration, poolSize, maxRetries, dialRetries *int) {
		pickInt(dialRetries, 0, DefaultDialRetries)
		pick(dial, o.DialTimeout, DefaultDialTimeout)
		pick(read, o.ReadTimeout, DefaultReadTimeout)
		pick(write, o.WriteTimeout, DefaultWriteTimeout)
		pick(poolTimeout, o.PoolTimeout, DefaultPoolTimeout)
		pickInt(poolSize, o.PoolSize, DefaultPoolSize())
		pickInt(maxRetries, o.MaxRetries, DefaultMaxRetries)
	}
	switch c.Kind {
	case Single:
		s := c.Single
		set(&s.DialTimeout, &s.ReadTimeout, &s.WriteTimeout, &s.PoolTimeout, &s.PoolSize, &s.MaxRetries, &s.DialerRetries)
	case Sentinel:
		f := c.Failover
		set(&f.DialTimeout, &f.ReadTimeout, &f.WriteTimeout, &f.PoolTimeout, &f.PoolSize, &f.MaxRetries, &f.DialerRetries)
	case Cluster:
		k := c.Cluster
		set(&k.DialTimeout, &k.ReadTimeout, &k.WriteTimeout, &k.PoolTimeout, &k.PoolSize, &k.MaxRetries, &k.DialerRetries)
	}
}

// newClient builds the client; every kind is a goredis.UniversalClient.
func (c clientConfig) newClient() (goredis.UniversalClient, error) {
	switch c.Kind {
	case Single:
		return goredis.NewClient(c.Single), nil
	case Sentinel:
		return goredis.NewFailoverClient(c.Failover), nil
	case Cluster:
		return goredis.NewClusterClient(c.Cluster), nil
	}
	return nil, errors.New("redis: no deployment selected")
}

// host names the server for error messages, without credentials.
func (c clientConfig) host() string {
	switch c.Kind {
	case Single:
		return c.Single.Addr
	case Sentinel:
		return "sentinels " + strings.Join(c.Failover.SentinelAddrs, ",") + " master " + c.Failover.MasterName
	case Cluster:
		return "cluster seeds " + strings.Join(c.Cluster.Addrs, ",")
	}
	return ""
}
