// Package bolt is the embedded bot.Store: one bbolt file on local disk, the
// default when no Redis is configured. It is the only importer of
// go.etcd.io/bbolt.
//
// Every state change is one bbolt write transaction, and bbolt fsyncs on
// commit, so a Save that returned nil survives kill -9. Each session record,
// its active pointer and its thread bindings carry the same expires-at,
// written together; reads ignore expired records, and every write
// transaction sweeps a few expired ones (all keys of a session at once)
// through an index ordered by expiry.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mlsdbot/mlsd/bot"
)

// Options configure a Store.
type Options struct {
	// Now is the clock used for expiry (default time.Now).
	Now func() time.Time
	// LockTimeout is how long Open waits for another process to release
	// the file (default 1s).
	LockTimeout time.Duration
	// Log receives the start and the end of a full-disk incident (see
	// bot.StorageHealth); nil discards them.
	Log *slog.Logger
}

// Store is a bot.Store on one bbolt file. It is safe for concurrent use;
// bbolt serialises writers and lets readers run alongside.
type Store struct {
	db     *bbolt.DB
	dir    string // the file's directory, for its free space
	now    func() time.Time
	health *bot.StorageHealth
	rates  rateTable
}

var _ bot.Store = (*Store)(nil)

// sweepBatch bounds the expired entries a write transaction removes, so a
// backlog never makes one user's answer slow.
const sweepBatch = 64

var (
	bucketDedupe   = []byte("dedupe")    // id → expires-at
	bucketSessions = []byte("sessions")  // user, session id → sessionRecord
	bucketActive   = []byte("active")    // user → activeRecord
	bucketThreads  = []byte("threads")   // platform, workspace, channel, thread → threadRecord
	bucketExpiry   = []byte("expiry")    // expires-at, kind, key → ""
	bucketStats    = []byte("stats")     // user → bot.Stats
	bucketBoards   = []byte("boards")    // platform, workspace, period, user id → boardRecord
	bucketCoverage = []byte("coverage")  // user → map of bot.ConceptTrack by key
	bucketHistory  = []byte("history")   // user → []bot.HistoryEntry, newest first
	bucketTeams    = []byte("teams")     // platform, workspace → teamRecord
	bucketAnon     = []byte("anonymous") // user → "" while the name is hidden
	bucketExport   = []byte("export")    // platform, workspace, month, user id, session id → bot.ExportRow
	allBuckets     = [][]byte{bucketDedupe, bucketSessions, bucketActive, bucketThreads, bucketExpiry, bucketStats, bucketBoards,
		bucketCoverage, bucketHistory, bucketTeams, bucketAnon, bucketExport, bucketOutboxPending, bucketOutboxDue, bucketOutboxIndex}
)

// Kinds of expiry index entries.
const (
	kindDedupe  = 'd'
	kindSession = 's'
	kindBoard   = 'b'
)

// Open opens or creates the store file at path, creating its directory
// (0700) when missing. It fails with a clear error when another process
// holds the file.
func Open(path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bolt: create data directory: %w", err)
	}
	// A damaged file is refused before anything reads it for real: bbolt
	// panics on a missing page, even while opening (its free list), and a
	// read-only check is the one way in that cannot leave the file locked.
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		problems, err := Check(path)
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("bolt: another mlsd is using %s (the file stayed locked for %v)", path, opts.LockTimeout)
		}
		if len(problems) > 0 {
			return nil, &DamagedError{Path: path, Problems: problems}
		}
	}
	db, err := openDB(path, &bbolt.Options{Timeout: opts.LockTimeout})
	var damaged *DamagedError
	if errors.As(err, &damaged) {
		return nil, err
	}
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt: another mlsd is using %s (the file stayed locked for %v)", path, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w (%s)", path, err, recoveryHint(path))
	}
	s := &Store{db: db, dir: filepath.Dir(path), now: opts.Now, health: &bot.StorageHealth{Log: opts.Log, Now: opts.Now}}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		_, err := sweep(tx, s.now(), -1)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: prepare %s: %w", path, err)
	}
	// The last good copy, for the recovery path a damaged file needs.
	if err := db.View(func(tx *bbolt.Tx) error { return tx.CopyFile(path+backupSuffix, 0o600) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: back up %s: %w", path, err)
	}
	return s, nil
}

// backupSuffix names the copy of the data file made at each clean open.
const backupSuffix = ".bak"

// checkLockTimeout is how long a check waits for a running mlsd's lock.
const checkLockTimeout = time.Second

// DamagedError reports a data file that failed its consistency check.
type DamagedError struct {
	Path     string
	Problems []string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("bolt: %s is damaged (%s); mlsd will not start on it, so nothing more is lost. %s",
		e.Path, strings.Join(e.Problems[:min(3, len(e.Problems))], "; "), recoveryHint(e.Path))
}

func recoveryHint(path string) string {
	return fmt.Sprintf("To recover: stop mlsd, run `mlsd store check %s` to see every problem, then move the file aside "+
		"and either copy %s over it (the copy made at the last clean start) or start without it for an empty store",
		path, path+backupSuffix)
}

// check runs bbolt's consistency check and returns at most limit problems;
// a panic while reading a damaged page is one of them.
func check(db *bbolt.DB, limit int) (problems []string) {
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Sprint("reading the file failed: ", r))
		}
	}()
	err := db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			if len(problems) < limit {
				problems = append(problems, err.Error())
			}
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// openDB is bbolt.Open that turns a panic while loading a damaged file
// (its free list or meta pages) into a DamagedError.
func openDB(path string, o *bbolt.Options) (db *bbolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, &DamagedError{Path: path, Problems: []string{fmt.Sprint("opening the file failed: ", r)}}
		}
	}()
	return bbolt.Open(path, 0o600, o)
}

// Check opens the data file at path read-only and returns its problems
// (none for a sound file), for `mlsd store check`.
func Check(path string) ([]string, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := openDB(path, &bbolt.Options{ReadOnly: true, Timeout: checkLockTimeout})
	var damaged *DamagedError
	switch {
	case errors.As(err, &damaged):
		return damaged.Problems, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%s is in use by a running mlsd; stop it first: %w", path, bolterrors.ErrTimeout)
	case err != nil:
		return []string{err.Error()}, nil
	}
	defer db.Close()
	problems := check(db, 100)
	// A file cut short can still pass the page walk when only free or
	// unreachable pages were lost; bbolt's meta page knows how long the
	// file must be.
	if info, err := os.Stat(path); err == nil {
		_ = db.View(func(tx *bbolt.Tx) error {
			if want := tx.Size(); info.Size() < want {
				problems = append(problems, fmt.Sprintf("the file is %d bytes but its own index says %d: it was cut short", info.Size(), want))
			}
			return nil
		})
	}
	return problems, nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Sweep deletes every expired record now and reports how many index
// entries it cleared. Writes already sweep a few each; this is for
// maintenance and tests.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bbolt.Tx) (err error) {
		n, err = sweep(tx, s.now(), -1)
		return err
	})
	return n, err
}

// domainError marks errors produced by our own logic inside a transaction,
// as opposed to bbolt failing to begin or commit it.
type domainError struct{ err error }

func (e domainError) Error() string { return e.err.Error() }
func (e domainError) Unwrap() error { return e.err }

// update runs fn in one write transaction. A failure of bbolt itself (I/O,
// closed database) is reported as bot.ErrUnavailable, and a full disk as
// bot.ErrStorageFull: the transaction was rolled back, so nothing was
// written. Every commit's outcome feeds the store's StorageHealth.
func (s *Store) update(ctx context.Context, fn func(tx *bbolt.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", bot.ErrUnavailable, err)
	}
	defer damagedPage(&err)
	err = s.db.Update(func(tx *bbolt.Tx) error {
		if err := fn(tx); err != nil {
			return domainError{err}
		}
		return nil
	})
	err = unwrapTx(err)
	if err == nil && s.health.Full() != nil {
		// A write that fits in pages bbolt freed earlier does not end a
		// full-disk incident: the next one that grows the file would fail.
		if free, ok := diskFree(s.dir); ok && free < probeFree {
			return nil
		}
	}
	s.health.Wrote(err)
	return err
}

// bucketProbe holds the one key WriteProblem rewrites.
var bucketProbe = []byte("write-probe")

// probeFree is the free space a full-disk incident waits for before
// WriteProblem tries a write: bbolt reuses the pages it freed, so a small
// write can succeed on a full disk while the next one that grows the file
// fails; without room to grow the incident is not over.
const probeFree = 1 << 20

// WriteProblem reports why writes fail for lack of space, nil when they
// work. While a full-disk incident lasts it tries one small write once
// the file system has room again, so a readiness probe (which gets no
// user traffic while it fails) sees the disk come back.
func (s *Store) WriteProblem(ctx context.Context) error {
	full := s.health.Full()
	if full == nil {
		return nil
	}
	if free, ok := diskFree(s.dir); ok && free < probeFree {
		return full
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketProbe)
		if err != nil {
			return err
		}
		return b.Put([]byte("at"), encodeTime(s.now()))
	})
	if full := s.health.Full(); full != nil {
		return full
	}
	return err
}

// diskFull reports whether a write failed for lack of space (or quota).
func diskFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "disk quota exceeded")
}

// damagedPage turns a panic inside bbolt (a page the file no longer has)
// into an unavailable store, so one bad page fails one request, not the
// process.
func damagedPage(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: bolt: damaged data file: %v", bot.ErrUnavailable, r)
	}
}

func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", bot.ErrUnavailable, err)
	}
	defer damagedPage(&err)
	err = s.db.View(func(tx *bbolt.Tx) error {
		if err := fn(tx); err != nil {
			return domainError{err}
		}
		return nil
	})
	return unwrapTx(err)
}

func unwrapTx(err error) error {
	var de domainError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &de):
		return de.err
	case diskFull(err):
		return fmt.Errorf("%w: bolt: the disk is full: %w", bot.ErrStorageFull, err)
	default:
		return fmt.Errorf("%w: bolt: %w", bot.ErrUnavailable, err)
	}
}

// FirstDelivery implements bot.Store.
func (s *Store) FirstDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("bolt: FirstDelivery %q: ttl must be positive", id)
	}
	var first bool
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		now := s.now()
		if _, err := sweep(tx, now, sweepBatch); err != nil {
			return err
		}
		b := tx.Bucket(bucketDedupe)
		key := encodeKey(id)
		if old := b.Get(key); old != nil {
			exp := decodeTime(old)
			if alive(exp, now) {
				return nil
			}
			if err := tx.Bucket(bucketExpiry).Delete(expiryKey(exp, kindDedupe, key)); err != nil {
				return err
			}
		}
		first = true
		exp := now.Add(ttl)
		if err := b.Put(key, encodeTime(exp)); err != nil {
			return err
		}
		return tx.Bucket(bucketExpiry).Put(expiryKey(exp, kindDedupe, key), nil)
	})
	return first, err
}

// ForgetDelivery implements bot.Store.
func (s *Store) ForgetDelivery(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDedupe)
		key := encodeKey(id)
		old := b.Get(key)
		if old == nil {
			return nil
		}
		if err := tx.Bucket(bucketExpiry).Delete(expiryKey(decodeTime(old), kindDedupe, key)); err != nil {
			return err
		}
		return b.Delete(key)
	})
}

// ActiveSession implements bot.Store.
func (s *Store) ActiveSession(ctx context.Context, user bot.UserKey) (bot.Session, error) {
	var sess bot.Session
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		rec, err := activeSession(tx, user, s.now())
		if err != nil {
			return err
		}
		sess = rec.Session
		return nil
	})
	return sess, err
}

// Session implements bot.Store.
func (s *Store) Session(ctx context.Context, user bot.UserKey, id string) (bot.Session, error) {
	var sess bot.Session
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		rec, err := loadSession(tx, sessionKey(user, id), s.now())
		if err != nil {
			return err
		}
		sess = rec.Session
		return nil
	})
	return sess, err
}

// Thread implements bot.Store.
func (s *Store) Thread(ctx context.Context, ref bot.ThreadRef) (bot.ThreadBinding, error) {
	var binding bot.ThreadBinding
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		now := s.now()
		var tr threadRecord
		if err := getJSON(tx.Bucket(bucketThreads), threadKey(ref), &tr); err != nil {
			return err
		}
		if !alive(tr.Expires, now) {
			return bot.ErrNotFound
		}
		// The binding's own expiry is written with the session's; checking
		// the session too keeps the two from ever disagreeing.
		if _, err := loadSession(tx, sessionKey(tr.User, tr.SessionID), now); err != nil {
			return err
		}
		binding = bot.ThreadBinding{User: tr.User, UserName: tr.UserName, SessionID: tr.SessionID}
		return nil
	})
	return binding, err
}

// Stats implements bot.Store.
func (s *Store) Stats(ctx context.Context, user bot.UserKey) (bot.Stats, error) {
	var st bot.Stats
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		err := getJSON(tx.Bucket(bucketStats), userKey(user), &st)
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		return err
	})
	return st, err
}

// Save implements bot.Store in one write transaction.
func (s *Store) Save(ctx context.Context, ch bot.Change) error {
	if err := validate(ch); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		now := s.now()
		// Sweep first, so a session that has just expired is gone before
		// the checks below see it.
		if _, err := sweep(tx, now, sweepBatch); err != nil {
			return err
		}
		sess := ch.Session
		key := sessionKey(sess.User, sess.ID)
		var rec sessionRecord
		if ch.Expected == 0 {
			if _, err := activeSession(tx, sess.User, now); err == nil {
				return fmt.Errorf("bolt: user %v already has an active session: %w", sess.User, bot.ErrConflict)
			} else if !errors.Is(err, bot.ErrNotFound) {
				return err
			}
			if _, err := loadSession(tx, key, now); err == nil {
				return fmt.Errorf("bolt: session %s already exists: %w", sess.ID, bot.ErrConflict)
			} else if !errors.Is(err, bot.ErrNotFound) {
				return err
			}
			// An expired record under this key not yet swept goes now, with
			// its pointers, so nothing of it leaks into the new session.
			if err := deleteSession(tx, key, now); err != nil {
				return err
			}
		} else {
			old, err := loadSession(tx, key, now)
			switch {
			case errors.Is(err, bot.ErrNotFound):
				return fmt.Errorf("bolt: session %s: %w", sess.ID, bot.ErrNotActive)
			case err != nil:
				return err
			case old.Session.Status != bot.Active:
				return fmt.Errorf("bolt: session %s is %s: %w", sess.ID, old.Session.Status, bot.ErrNotActive)
			case ch.MessageID != "" && slices.Contains(old.Applied, ch.MessageID):
				return fmt.Errorf("bolt: session %s, message %s: %w", sess.ID, ch.MessageID, bot.ErrDuplicate)
			case old.Session.Version != ch.Expected:
				return fmt.Errorf("bolt: session %s is at version %d, not %d: %w", sess.ID, old.Session.Version, ch.Expected, bot.ErrConflict)
			}
			rec = old
			if err := tx.Bucket(bucketExpiry).Delete(expiryKey(rec.Expires, kindSession, key)); err != nil {
				return err
			}
		}
		rec.Session = sess
		rec.Expires = now.Add(ch.TTL)
		if ch.MessageID != "" {
			rec.Applied = append(rec.Applied, ch.MessageID)
		}
		if sess.Thread != "" {
			ref := bot.ThreadRef{Platform: sess.User.Platform, Workspace: sess.User.Workspace, Channel: sess.Channel, Thread: sess.Thread}
			if !slices.Contains(rec.Threads, ref) {
				rec.Threads = append(rec.Threads, ref)
			}
		}
		if err := putJSON(tx.Bucket(bucketSessions), key, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketExpiry).Put(expiryKey(rec.Expires, kindSession, key), nil); err != nil {
			return err
		}
		// Thread bindings and the active pointer share the session's
		// expires-at, rewritten on every change.
		for _, ref := range rec.Threads {
			tr := threadRecord{User: sess.User, UserName: sess.UserName, SessionID: sess.ID, Expires: rec.Expires}
			if err := putJSON(tx.Bucket(bucketThreads), threadKey(ref), tr); err != nil {
				return err
			}
		}
		if sess.Status == bot.Active {
			if err := putJSON(tx.Bucket(bucketActive), userKey(sess.User), activeRecord{SessionID: sess.ID, Expires: rec.Expires}); err != nil {
				return err
			}
		} else if err := dropActive(tx, sess.User, sess.ID); err != nil {
			return err
		}
		if err := markOutbox(tx, ch); err != nil {
			return err
		}
		if ch.Completion != nil {
			return complete(tx, sess.User, ch.Completion, now)
		}
		return nil
	})
}

func validate(ch bot.Change) error {
	s := ch.Session
	switch {
	case s.ID == "":
		return errors.New("bolt: Save: session has no id")
	case s.User.UserID == "":
		return fmt.Errorf("bolt: Save: session %s has no owner", s.ID)
	case s.Version != ch.Expected+1:
		return fmt.Errorf("bolt: Save: session %s: version %d must be expected %d + 1", s.ID, s.Version, ch.Expected)
	case ch.TTL <= 0:
		return fmt.Errorf("bolt: Save: session %s: TTL must be positive", s.ID)
	}
	if c := ch.Completion; c != nil {
		if _, err := time.Parse(time.DateOnly, c.Day); err != nil {
			return fmt.Errorf("bolt: Save: completion of %s: day %q is not YYYY-MM-DD", s.ID, c.Day)
		}
		if c.Week == "" || c.Month == "" {
			return fmt.Errorf("bolt: Save: completion of %s: week and month are required", s.ID)
		}
	}
	return nil
}

// complete adds c to the user's stats and to the workspace's boards. It
// runs inside the transaction that ended the session, which can happen
// only once, so it is never applied twice.
func complete(tx *bbolt.Tx, user bot.UserKey, c *bot.Completion, now time.Time) error {
	sb := tx.Bucket(bucketStats)
	var st bot.Stats
	if err := getJSON(sb, userKey(user), &st); err != nil && !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	st.Points += c.Points
	sessions := 0
	if !c.Drill { // a drill adds points and a streak day, not a session
		sessions = 1
		st.Sessions++
		for i, v := range c.StepScores {
			st.StepTotals[i] += v
		}
		st.BestScore = max(st.BestScore, c.Score)
		st.LastScore = c.Score
		st.Recent = append([]string{c.ScenarioID}, st.Recent...)
		if len(st.Recent) > bot.RecentLimit {
			st.Recent = st.Recent[:bot.RecentLimit]
		}
		st.Scores = append([]bot.ScorePoint{{Day: c.Day, Score: c.Score, Steps: c.StepScores}}, st.Scores...)
		if len(st.Scores) > bot.ScoresLimit {
			st.Scores = st.Scores[:bot.ScoresLimit]
		}
	}
	bot.AdvanceStreak(&st, c.Day)
	if err := putJSON(sb, userKey(user), st); err != nil {
		return err
	}
	if err := recordProgress(tx, user, c); err != nil {
		return err
	}
	return creditBoards(tx, user, c.UserName, c.At, c.Points, sessions, c.Week, c.Month, now)
}

// creditBoards adds points (and sessions) to the user's rows of the
// all-time, week and month boards. Week and month rows expire by
// bot.PeriodExpiry, the rule the Redis store applies with key TTLs.
func creditBoards(tx *bbolt.Tx, user bot.UserKey, name string, at time.Time, points float64, sessions int, week, month string, now time.Time) error {
	bb := tx.Bucket(bucketBoards)
	ws := bot.Workspace{Platform: user.Platform, ID: user.Workspace}
	for _, p := range []bot.Period{bot.AllTime, bot.WeekPeriod(week), bot.MonthPeriod(month)} {
		key := append(boardPrefix(ws, p), encodeKey(user.UserID)...)
		var row boardRecord
		if err := getJSON(bb, key, &row); errors.Is(err, bot.ErrNotFound) || err == nil && !row.Expires.IsZero() && !alive(row.Expires, now) {
			row = boardRecord{Reached: at}
		} else if err != nil {
			return err
		}
		row.UserName = name
		row.Sessions += sessions
		if points != 0 {
			row.Points += points
			row.Reached = at
		}
		exp, expires, err := bot.PeriodExpiry(p, now)
		if err != nil {
			return fmt.Errorf("bolt: %w", err)
		}
		if expires && !exp.Equal(row.Expires) {
			idx := tx.Bucket(bucketExpiry)
			if !row.Expires.IsZero() {
				if err := idx.Delete(expiryKey(row.Expires, kindBoard, key)); err != nil {
					return err
				}
			}
			if err := idx.Put(expiryKey(exp, kindBoard, key), nil); err != nil {
				return err
			}
			row.Expires = exp
		}
		if err := putJSON(bb, key, row); err != nil {
			return err
		}
	}
	return nil
}

// Leaderboard implements bot.Store.
func (s *Store) Leaderboard(ctx context.Context, ws bot.Workspace, period bot.Period, limit int, viewer string) (bot.Board, error) {
	board := bot.Board{Period: period}
	type row struct {
		bot.Standing
		reached time.Time
	}
	var rows []row
	now := s.now()
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		prefix := boardPrefix(ws, period)
		c := tx.Bucket(bucketBoards).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			user, _, err := decodePart(k[len(prefix):])
			if err != nil {
				return err
			}
			var br boardRecord
			if err := json.Unmarshal(v, &br); err != nil {
				return fmt.Errorf("bolt: board entry %q: %w", user, err)
			}
			if !br.Expires.IsZero() && !alive(br.Expires, now) {
				continue // past its retention, not yet swept
			}
			rows = append(rows, row{bot.Standing{UserID: user, UserName: br.UserName, Points: br.Points, Sessions: br.Sessions}, br.Reached})
		}
		return nil
	})
	if err != nil {
		return bot.Board{}, err
	}
	slices.SortFunc(rows, func(a, b row) int {
		switch {
		case a.Points > b.Points:
			return -1
		case a.Points < b.Points:
			return 1
		}
		// Ties go to whoever got there first, to the second as the
		// contract allows; the user id only makes the order total.
		if c := a.reached.Truncate(time.Second).Compare(b.reached.Truncate(time.Second)); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	for i := range rows {
		rows[i].Rank = i + 1
		if i < limit {
			board.Top = append(board.Top, rows[i].Standing)
		}
		if viewer != "" && rows[i].UserID == viewer {
			v := rows[i].Standing
			board.Viewer = &v
		}
	}
	return board, nil
}

// Records.

type sessionRecord struct {
	Session bot.Session     `json:"session"`
	Applied []string        `json:"applied,omitempty"` // message ids, in order
	Threads []bot.ThreadRef `json:"threads,omitempty"` // bound to this session
	Expires time.Time       `json:"expires"`
}

type activeRecord struct {
	SessionID string    `json:"session"`
	Expires   time.Time `json:"expires"`
}

type threadRecord struct {
	User      bot.UserKey `json:"user"`
	UserName  string      `json:"user_name"`
	SessionID string      `json:"session"`
	Expires   time.Time   `json:"expires"`
}

type boardRecord struct {
	UserName string    `json:"user_name"`
	Points   float64   `json:"points"`
	Sessions int       `json:"sessions"`
	Reached  time.Time `json:"reached"` // when Points last grew
	// Expires is when a week or month row goes (zero: all time, never).
	Expires time.Time `json:"expires,omitzero"`
}

// alive reports whether something expiring at exp still exists at now.
func alive(exp, now time.Time) bool { return now.Before(exp) }

func loadSession(tx *bbolt.Tx, key []byte, now time.Time) (sessionRecord, error) {
	var rec sessionRecord
	if err := getJSON(tx.Bucket(bucketSessions), key, &rec); err != nil {
		return sessionRecord{}, err
	}
	if !alive(rec.Expires, now) {
		return sessionRecord{}, bot.ErrNotFound
	}
	return rec, nil
}

func activeSession(tx *bbolt.Tx, user bot.UserKey, now time.Time) (sessionRecord, error) {
	var ar activeRecord
	if err := getJSON(tx.Bucket(bucketActive), userKey(user), &ar); err != nil {
		return sessionRecord{}, err
	}
	if !alive(ar.Expires, now) {
		return sessionRecord{}, bot.ErrNotFound
	}
	rec, err := loadSession(tx, sessionKey(user, ar.SessionID), now)
	if err != nil {
		return sessionRecord{}, err
	}
	if rec.Session.Status != bot.Active {
		return sessionRecord{}, bot.ErrNotFound
	}
	return rec, nil
}

// dropActive removes the user's active pointer if it names id.
func dropActive(tx *bbolt.Tx, user bot.UserKey, id string) error {
	b := tx.Bucket(bucketActive)
	var ar activeRecord
	err := getJSON(b, userKey(user), &ar)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return nil
	case err != nil:
		return err
	case ar.SessionID != id:
		return nil
	}
	return b.Delete(userKey(user))
}

// sweep deletes records whose expiry has passed, at most limit index
// entries (all when limit < 0). A session goes with its active pointer and
// thread bindings.
func sweep(tx *bbolt.Tx, now time.Time, limit int) (int, error) {
	idx := tx.Bucket(bucketExpiry)
	due := dueEntries(idx, now, limit)
	for _, k := range due {
		kind, key := k[8], k[9:]
		switch kind {
		case kindDedupe:
			b := tx.Bucket(bucketDedupe)
			if v := b.Get(key); v != nil && !alive(decodeTime(v), now) {
				if err := b.Delete(key); err != nil {
					return 0, err
				}
			}
		case kindSession:
			if err := deleteSession(tx, key, now); err != nil {
				return 0, err
			}
		case kindBoard:
			b := tx.Bucket(bucketBoards)
			var row boardRecord
			if err := getJSON(b, key, &row); err == nil && !row.Expires.IsZero() && !alive(row.Expires, now) {
				if err := b.Delete(key); err != nil {
					return 0, err
				}
			} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return 0, err
			}
		}
		if err := idx.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// dueEntries lists up to limit (all when limit < 0) keys of an expiry
// index — 8 bytes of expiry time, a kind byte, the record key — that have
// expired by now, oldest first.
func dueEntries(idx *bbolt.Bucket, now time.Time, limit int) [][]byte {
	var due [][]byte
	c := idx.Cursor()
	for k, _ := c.First(); k != nil && limit != 0; k, _ = c.Next() {
		if len(k) < 9 || alive(decodeTime(k[:8]), now) {
			break
		}
		due = append(due, bytes.Clone(k))
		limit--
	}
	return due
}

func deleteSession(tx *bbolt.Tx, key []byte, now time.Time) error {
	b := tx.Bucket(bucketSessions)
	var rec sessionRecord
	if err := getJSON(b, key, &rec); errors.Is(err, bot.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if alive(rec.Expires, now) {
		return nil // refreshed since this index entry was written
	}
	tb := tx.Bucket(bucketThreads)
	for _, ref := range rec.Threads {
		var tr threadRecord
		err := getJSON(tb, threadKey(ref), &tr)
		if err == nil && tr.SessionID == rec.Session.ID && tr.User == rec.Session.User {
			if err := tb.Delete(threadKey(ref)); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
	}
	if err := dropActive(tx, rec.Session.User, rec.Session.ID); err != nil {
		return err
	}
	return b.Delete(key)
}

// Encoding. Keys are length-prefixed parts, so no id can forge another
// key, and a prefix of parts is a prefix of bytes (for board scans).

func encodeKey(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func decodePart(b []byte) (string, []byte, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return "", nil, errors.New("bolt: malformed key")
	}
	return string(b[w : w+int(n)]), b[w+int(n):], nil
}

func userKey(u bot.UserKey) []byte {
	return encodeKey(string(u.Platform), u.Workspace, u.UserID)
}

func sessionKey(u bot.UserKey, id string) []byte {
	return encodeKey(string(u.Platform), u.Workspace, u.UserID, id)
}

func threadKey(r bot.ThreadRef) []byte {
	return encodeKey(string(r.Platform), r.Workspace, r.Channel, r.Thread)
}

func boardPrefix(ws bot.Workspace, p bot.Period) []byte {
	return encodeKey(string(ws.Platform), ws.ID, string(p))
}

// expiryKey orders index entries by time: 8 bytes of big-endian Unix
// nanoseconds (offset so that times before 1970 still sort), a kind byte,
// then the record's key.
func expiryKey(exp time.Time, kind byte, key []byte) []byte {
	b := make([]byte, 0, 9+len(key))
	b = append(b, encodeTime(exp)...)
	b = append(b, kind)
	return append(b, key...)
}

func encodeTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

func decodeTime(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63)))
}

func getJSON(b *bbolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return bot.ErrNotFound
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("bolt: decode record: %w", err)
	}
	return nil
}

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("bolt: encode: %w", err)
	}
	return b.Put(key, data)
}
