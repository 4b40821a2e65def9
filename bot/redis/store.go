// Package redis is the store shared by several bot replicas: bot.Store on
// Redis (single node, Sentinel or Cluster) through go-redis.
//
// Every state change is one Lua script run in one round trip (save.lua):
// it checks the session's version, its applied-message set and its status,
// then writes everything in one atomic step, so a replayed or concurrent
// answer is applied exactly once and nothing is ever half-written. See
// keys.go for the key schema and lua/ for the scripts.
//
// Round trips per call: FirstDelivery, ActiveSession, Session, Stats,
// Leaderboard and Save one each (a Save with a thread pipelines the thread
// index with the script, every half TTL); Thread two; a completing Save
// one more, for the workspace's leaderboards and team aggregate (another
// hash slot, both scripts in one pipeline). The engine's answer path is a
// Save from the session it last saved (bot.Config.SessionMemo), with an
// ActiveSession first only when it has no such copy or the copy is stale.
//
// A session is a hash: its JSON document without the answer texts, and
// each text in a field of its own, so that an answer sends and writes
// only its own text (texts.go).
package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

const (
	// DefaultSessionTTL applies when a Change carries no TTL.
	DefaultSessionTTL = 7 * 24 * time.Hour
	// DefaultDeliveryTTL applies when FirstDelivery gets no ttl; it is well
	// over Slack's retry window (about 5 minutes).
	DefaultDeliveryTTL = 24 * time.Hour
)

// Options tune the store. The zero value is ready to use; values given in
// the URL's query (read_timeout=2s, pool_size=50, ...) take precedence
// over the timeouts and pool size here. See the Default constants for why
// each default was chosen.
type Options struct {
	// Now stamps completions that carry no time and is the "now" from
	// which leaderboard retention is counted. Default time.Now. Key
	// expiry itself runs on the Redis server's clock.
	Now func() time.Time
	// Prefix namespaces every key (default "mlsd:v1"); tests use a unique
	// one. It must not contain braces, which Redis Cluster reads as hash tags.
	Prefix string

	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	PoolTimeout  time.Duration
	PoolSize     int
	// MaxRetries of one command on a network error; -1 disables retries.
	MaxRetries int

	// Log receives failures that Save does not return (a leaderboard
	// update after the state change itself succeeded). Default: discarded.
	Log *slog.Logger
}

// Store implements bot.Store on Redis. It is safe for concurrent use.
type Store struct {
	rdb  goredis.UniversalClient
	kind Deployment
	keys keys
	now  func() time.Time
	log  *slog.Logger

	save, publish, board *goredis.Script
	team, teamRead       *goredis.Script
	forgetRow            *goredis.Script

	tokenBase string
	tokens    atomic.Uint64

	// health follows whether Redis accepts writes (maxmemory, MISCONF).
	health *bot.StorageHealth

	// indexed is when this process last wrote each session's thread index
	// entry (see indexDue).
	indexMu sync.Mutex
	indexed map[string]indexWrite
}

type indexWrite struct {
	at  time.Time
	ttl time.Duration
}

// maxIndexed bounds Store.indexed; when full it is emptied, which only
// makes the next saves write their index entries again.
const maxIndexed = 10_000

// indexDue reports whether a save of session id bound to ref must write
// the thread index entry (SADD and its TTL, three commands). The index
// lives twice the session TTL and is written at most every half TTL per
// process and session, so it always outlives the binding, which every
// save extends by one TTL, without three more commands per answer. A
// save with a longer TTL than the last write's writes it again.
func (s *Store) indexDue(u bot.UserKey, id string, ref bot.ThreadRef, ttl time.Duration) (string, bool) {
	key := s.keys.binding(u, ref) + "\x00" + id
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	w, ok := s.indexed[key]
	return key, !ok || ttl > w.ttl || s.now().Sub(w.at) >= ttl/2
}

func (s *Store) indexWritten(key string, ttl time.Duration) {
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if s.indexed == nil || len(s.indexed) >= maxIndexed {
		s.indexed = map[string]indexWrite{}
	}
	s.indexed[key] = indexWrite{at: s.now(), ttl: ttl}
}

var _ bot.Store = (*Store)(nil)

// Open connects to the Redis that rawURL (the REDIS_URL setting) names and
// pings it:
//
//	redis://[:password@]host:6379[/db]            one node (rediss:// for TLS)
//	redis://host:26379?master_name=NAME&addr=h2:26379&password=PW
//	                                              Sentinel; user:password in the
//	                                              URL authenticates to the sentinels
//	redis://[:password@]seed1:7000?cluster=1&addr=seed2:7000
//	                                              Cluster
//
// Other query keys are go-redis options in snake_case (dial_timeout=2s).
// A malformed URL is one error naming REDIS_URL, without the password; an
// unreachable server is an error wrapping bot.ErrUnavailable.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redis: key prefix %q must not contain braces (Redis Cluster hash tags)", prefix)
	}
	cfg.applyDefaults(opts)
	if opts.Log != nil {
		useClientLogger(opts.Log)
	}
	rdb, err := cfg.newClient()
	if err != nil {
		return nil, err
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: cannot reach Redis (%s %s): %w: %v", cfg.Kind, cfg.host(), bot.ErrUnavailable, err)
	}
	s := &Store{
		rdb:       rdb,
		kind:      cfg.Kind,
		keys:      keys{prefix: prefix},
		now:       opts.Now,
		log:       opts.Log,
		save:      goredis.NewScript(saveLua),
		publish:   goredis.NewScript(publishLua),
		board:     goredis.NewScript(boardLua),
		team:      goredis.NewScript(teamLua),
		teamRead:  goredis.NewScript(teamReadLua),
		forgetRow: goredis.NewScript(forgetRowLua),
	}
	var id [9]byte
	rand.Read(id[:]) // never fails (crypto/rand panics instead)
	s.tokenBase = base64.RawURLEncoding.EncodeToString(id[:]) + "."
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.health = &bot.StorageHealth{Log: s.log, Now: s.now}
	rdb.AddHook(healthHook{s.health})
	return s, nil
}

// Close releases the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Deployment reports which topology the URL selected.
func (s *Store) Deployment() Deployment { return s.kind }

// FirstDelivery is SET key 1 NX EX ttl.
func (s *Store) FirstDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if id == "" {
		return false, errors.New("redis: FirstDelivery needs an id")
	}
	if ttl <= 0 {
		ttl = DefaultDeliveryTTL
	}
	first, err := s.rdb.SetNX(ctx, s.keys.event(id), 1, ttl).Result()
	if err != nil {
		return false, s.fail("first delivery", err)
	}
	return first, nil
}

// ForgetDelivery is DEL key.
func (s *Store) ForgetDelivery(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("redis: ForgetDelivery needs an id")
	}
	if err := s.rdb.Del(ctx, s.keys.event(id)).Err(); err != nil {
		return s.fail("forget delivery", err)
	}
	return nil
}

// ActiveSession reads the user's active session in one command.
func (s *Store) ActiveSession(ctx context.Context, user bot.UserKey) (bot.Session, error) {
	fields, err := s.rdb.HGetAll(ctx, s.keys.active(user)).Result()
	if err != nil {
		return bot.Session{}, s.fail("active session", err)
	}
	if fields["doc"] == "" {
		return bot.Session{}, fmt.Errorf("redis: no active session for %s: %w", user, bot.ErrNotFound)
	}
	return decodeStored(fields)
}

// Session reads a session whether active or finished, in one round trip.
// The active key is read first: a session only ever moves from active to
// finished, so this order cannot miss one that moves in between.
func (s *Store) Session(ctx context.Context, user bot.UserKey, id string) (bot.Session, error) {
	var active, finished *goredis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		active = p.HGetAll(ctx, s.keys.active(user))
		finished = p.HGetAll(ctx, s.keys.session(user, id))
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return bot.Session{}, s.fail("session", err)
	}
	if f := active.Val(); f["sid"] == id && f["doc"] != "" {
		return decodeStored(f)
	}
	if f := finished.Val(); f["doc"] != "" {
		return decodeStored(f)
	}
	return bot.Session{}, fmt.Errorf("redis: session %s of %s: %w", id, user, bot.ErrNotFound)
}

// Thread finds who bound a thread in the workspace's index, then reads
// that user's binding, which save.lua writes and expires with the session:
// two round trips, and a binding is only ever visible after the Save that
// made it succeeded.
func (s *Store) Thread(ctx context.Context, ref bot.ThreadRef) (bot.ThreadBinding, error) {
	notFound := fmt.Errorf("redis: thread %s/%s: %w", ref.Channel, ref.Thread, bot.ErrNotFound)
	users, err := s.rdb.SMembers(ctx, s.keys.threadIndex(ref)).Result()
	if err != nil {
		return bot.ThreadBinding{}, s.fail("thread", err)
	}
	if len(users) == 0 {
		return bot.ThreadBinding{}, notFound
	}
	slices.Sort(users) // one answer even if two users' sessions share a thread
	cmds := make([]*goredis.StringCmd, len(users))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range users {
			cmds[i] = p.Get(ctx, s.keys.binding(bot.UserKey{Platform: ref.Platform, Workspace: ref.Workspace, UserID: id}, ref))
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return bot.ThreadBinding{}, s.fail("thread", err)
	}
	for _, c := range cmds {
		raw, err := c.Bytes()
		if err != nil {
			continue // that user's session has expired or never bound it
		}
		var b bot.ThreadBinding
		if err := json.Unmarshal(raw, &b); err != nil {
			return bot.ThreadBinding{}, fmt.Errorf("redis: corrupt thread binding: %w", err)
		}
		return b, nil
	}
	return bot.ThreadBinding{}, notFound
}

// Save runs save.lua: one round trip, atomic, every key in the user's hash
// slot. When the session has a thread, the same pipeline first adds the
// user to the thread's index (the workspace's slot, so it cannot be inside
// the script in a Cluster). The index is only a pointer: Thread trusts the
// user-slot binding the script writes, so an index entry left by a failed
// Save shows nothing.
//
// A completion adds a second round trip, publish.lua on the workspace's
// slot, with the absolute totals the script returned. If that call fails
// the state change stands (it is what the user sees) and the failure is
// logged; the boards catch up at the user's next completion, or when the
// completing message is replayed (Save republishes the stored totals).
func (s *Store) Save(ctx context.Context, ch bot.Change) error {
	ses := ch.Session
	if err := validateChange(ch); err != nil {
		return err
	}
	base := changedTextsBase(ch)
	bare, texts := splitTexts(ses, base)
	doc, err := json.Marshal(bare)
	if err != nil {
		return fmt.Errorf("redis: encode session: %w", err)
	}
	ttl := ch.TTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	u := ses.User
	var comp *completion
	if ch.Completion != nil {
		if comp, err = s.newCompletion(u, ch.Completion); err != nil {
			return err
		}
	}
	keys := []string{s.keys.active(u), s.keys.session(u, ses.ID), s.keys.seen(u, ses.ID)}
	args := []any{ses.ID, ch.Expected, ses.Version, string(ses.Status), doc, ch.MessageID, ttl.Milliseconds(), s.newToken(), "0", ""}
	if comp != nil {
		args[8] = "1"
	}
	var ref *bot.ThreadRef
	if ses.Thread != "" {
		ref = &bot.ThreadRef{Platform: u.Platform, Workspace: u.Workspace, Channel: ses.Channel, Thread: ses.Thread}
		binding, err := json.Marshal(bot.ThreadBinding{User: u, UserName: ses.UserName, SessionID: ses.ID})
		if err != nil {
			return fmt.Errorf("redis: encode thread binding: %w", err)
		}
		args[9] = binding
		keys = append(keys, s.keys.binding(u, *ref))
	}
	if comp != nil {
		keys = append(keys, comp.keys...)
		args = append(args, comp.args...)
	}
	// Then the texts, their kind and count; the outbox mark's key and
	// message come last, whatever precedes them.
	args = append(args, texts...)
	args = append(args, boolFlag(base != nil), len(texts)/2)
	ob, marks := outboxOf(ch)
	keys = append(keys, s.keys.outboxMark(u))
	if marks {
		body, err := json.Marshal(ch.Outbox)
		if err != nil {
			return fmt.Errorf("redis: encode saved replies: %w", err)
		}
		args = append(args, outboxField(ob), body)
	} else {
		args = append(args, "", "")
	}

	var obEntry *goredis.Z
	if marks {
		obEntry = &goredis.Z{Score: float64(ses.Updated.UnixMilli()), Member: outboxMember(ob)}
	}
	var indexRef *bot.ThreadRef
	indexKey, due := "", false
	if ref != nil {
		if indexKey, due = s.indexDue(u, ses.ID, *ref, ttl); due {
			indexRef = ref
		}
	}
	reply, err := s.runSave(ctx, u, indexRef, obEntry, ttl, keys, args)
	if err != nil {
		return s.fail("save session "+ses.ID, err)
	}
	if due {
		s.indexWritten(indexKey, ttl)
	}
	outcome, totals, err := parseSaveReply(reply)
	if err != nil {
		return err
	}
	if outcome == saveAllTexts {
		// Saved before texts moved out of the document: send them all,
		// once; the session is stored the new way from then on.
		ch.Previous = nil
		return s.Save(ctx, ch)
	}
	switch outcome {
	case saveApplied:
		if comp != nil {
			s.publishTotals(ctx, u, comp, totals)
		}
		return nil
	case saveDuplicate:
		return fmt.Errorf("redis: message %q on session %s: %w", ch.MessageID, ses.ID, bot.ErrDuplicate)
	case saveStale:
		return fmt.Errorf("redis: session %s is at version %s, change expected %d: %w", ses.ID, totals.version, ch.Expected, bot.ErrConflict)
	case saveNotActive:
		if comp != nil && totals != nil && len(totals.periods[2].sessions) > 0 {
			s.publishTotals(ctx, u, comp, totals) // a replay of the completing message: repair the boards
		}
		return fmt.Errorf("redis: session %s: %w", ses.ID, bot.ErrNotActive)
	case saveHasActive:
		return fmt.Errorf("redis: %s already has an active session: %w", u, bot.ErrConflict)
	}
	return fmt.Errorf("redis: save.lua returned unknown outcome %d", outcome)
}

// runSave sends the script, after the thread index update (when there is
// a thread) and the pending outbox's list entry (when the change marks
// one) in the same pipeline. EVALSHA inside a pipeline cannot fall back by
// itself, so a NOSCRIPT reply (script cache flushed, failover) resends
// with EVAL.
func (s *Store) runSave(ctx context.Context, u bot.UserKey, ref *bot.ThreadRef, obEntry *goredis.Z, ttl time.Duration, keys []string, args []any) (any, error) {
	if ref == nil && obEntry == nil {
		return s.save.Run(ctx, s.rdb, keys, args...).Result()
	}
	send := func(eval func(goredis.Pipeliner) *goredis.Cmd) *goredis.Cmd {
		var script *goredis.Cmd
		// Pipelined's error repeats a command's own; the script's is the one that counts.
		_, _ = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
			if ref != nil {
				idx := s.keys.threadIndex(*ref)
				// Twice the TTL, since it is written at most every half
				// TTL (indexDue), and a minute of slack: the index is
				// written just before the script.
				ms := (2*ttl + time.Minute).Milliseconds()
				p.SAdd(ctx, idx, u.UserID)
				// The index must outlive every binding it points to: set a
				// TTL on a new index (NX), and only ever lengthen it (GT).
				p.Do(ctx, "PEXPIRE", idx, ms, "NX")
				p.Do(ctx, "PEXPIRE", idx, ms, "GT")
			}
			if obEntry != nil {
				p.ZAdd(ctx, s.keys.outboxes(), *obEntry)
			}
			script = eval(p)
			return nil
		})
		return script
	}
	script := send(func(p goredis.Pipeliner) *goredis.Cmd { return s.save.EvalSha(ctx, p, keys, args...) })
	if goredis.HasErrorPrefix(script.Err(), "NOSCRIPT") {
		script = send(func(p goredis.Pipeliner) *goredis.Cmd { return s.save.Eval(ctx, p, keys, args...) })
	}
	return script.Result()
}

func validateChange(ch bot.Change) error {
	ses := ch.Session
	switch {
	case ses.ID == "":
		return errors.New("redis: Save: session has no id")
	case ses.User.Platform == "" || ses.User.UserID == "":
		return errors.New("redis: Save: session has no owner")
	case ch.Expected < 0:
		return fmt.Errorf("redis: Save: expected version %d is negative", ch.Expected)
	case ses.Version != ch.Expected+1:
		return fmt.Errorf("redis: Save: session version %d must be expected version %d + 1", ses.Version, ch.Expected)
	case ses.Status == "":
		return errors.New("redis: Save: session has no status")
	}
	return nil
}

// newToken identifies one Save call, so that go-redis retrying a script
// whose reply was lost is recognised as the same change: a random id of
// this store (unique across replicas) and a counter (unique within it).
func (s *Store) newToken() string {
	return s.tokenBase + strconv.FormatUint(s.tokens.Add(1), 36)
}

// saveTotals is what save.lua returns after its outcome code.
type saveTotals struct {
	version string // the stored version, for saveStale
	periods [3]periodTotal
}

// periodTotal is a user's absolute total for a week, a month or all time.
type periodTotal struct {
	points   string // exactly as stored (%.17g)
	sessions string
	atMs     int64
}

func parseSaveReply(reply any) (int64, *saveTotals, error) {
	bad := func() (int64, *saveTotals, error) {
		return 0, nil, fmt.Errorf("redis: unexpected save.lua reply %#v", reply)
	}
	list, ok := reply.([]any)
	if !ok || len(list) == 0 {
		return bad()
	}
	code, ok := list[0].(int64)
	if !ok {
		return bad()
	}
	switch {
	case len(list) == 2:
		v, _ := list[1].(string)
		return code, &saveTotals{version: v}, nil
	case len(list) == 10:
		t := &saveTotals{}
		for i := range t.periods {
			pts, ok1 := list[1+3*i].(string)
			n, ok2 := list[2+3*i].(string)
			at, ok3 := list[3+3*i].(string)
			ms, err := strconv.ParseInt(at, 10, 64)
			if !ok1 || !ok2 || !ok3 || err != nil {
				return bad()
			}
			t.periods[i] = periodTotal{points: pts, sessions: n, atMs: ms}
		}
		return code, t, nil
	case len(list) == 1:
		return code, nil, nil
	}
	return bad()
}

// fail maps a client error: anything that means "Redis could not be
// reached or answered in time" wraps bot.ErrUnavailable, so the domain can
// ask the user to send the message again.
func (s *Store) fail(op string, err error) error {
	if cause, ok := outOfSpace(err); ok {
		return fmt.Errorf("redis %s: %w: %s: %w", op, bot.ErrStorageFull, cause, err)
	}
	if transient(err) {
		return fmt.Errorf("redis %s: %w: %w", op, bot.ErrUnavailable, err)
	}
	return fmt.Errorf("redis %s: %w", op, err)
}

// transient reports whether err is a connection, timeout or pool failure,
// or a server reply that means "not now" (loading, failover in progress).
func transient(err error) bool {
	var re goredis.Error
	if !errors.As(err, &re) {
		return true // net errors, timeouts, EOF, pool timeout, closed client, context
	}
	for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "NOREPLICAS", "MOVED", "ASK"} {
		if goredis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}
