package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestReference runs the suite against refStore, a deliberately plain
// in-memory implementation of the contract, so the suite's own
// expectations are checked without any real backend.
func TestReference(t *testing.T) {
	bug := os.Getenv(mutantEnv)
	storetest.Run(t, func(t *testing.T) bot.Store {
		s := newRefStore()
		s.bug = bug
		return storetest.WithOptions(s, storetest.Options{Advance: s.advance})
	})
}

// TestReferenceWithoutClock checks that a store without Options still runs
// everything that needs no clock.
func TestReferenceWithoutClock(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store { return newRefStore() })
}

type refSession struct {
	s       bot.Session
	applied map[string]bool
	expires time.Time
}

type boardRow struct {
	name     string
	points   float64
	sessions int
	reached  time.Time
	expires  time.Time // zero: never (all time)
}

type refStore struct {
	bug      string // a mutant's name: the suite must catch it
	mu       sync.Mutex
	now      time.Time
	seen     map[string]time.Time
	sessions map[string]*refSession // user key + "/" + id
	active   map[bot.UserKey]string
	threads  map[bot.ThreadRef]string // → sessions key
	stats    map[bot.UserKey]bot.Stats
	boards   map[string]map[string]*boardRow // ws + period → user id
	marks    map[bot.OutboxRef]*bot.Outbox   // pending saved replies
	due      map[bot.OutboxRef]time.Time
}

func newRefStore() *refStore {
	return &refStore{
		now:      time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		seen:     map[string]time.Time{},
		sessions: map[string]*refSession{},
		active:   map[bot.UserKey]string{},
		threads:  map[bot.ThreadRef]string{},
		stats:    map[bot.UserKey]bot.Stats{},
		boards:   map[string]map[string]*boardRow{},
		marks:    map[bot.OutboxRef]*bot.Outbox{},
		due:      map[bot.OutboxRef]time.Time{},
	}
}

func (r *refStore) PendingOutbox(_ context.Context, ref bot.OutboxRef) (*bot.Outbox, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.marks[ref], nil
}

func (r *refStore) OutboxDelivered(_ context.Context, ref bot.OutboxRef) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for m := range r.marks {
		if m == ref || r.bug == "delivered-clears-other-marks" && m.User == ref.User && m.SessionID == ref.SessionID {
			delete(r.marks, m)
		}
	}
	delete(r.due, ref)
	return nil
}

func (r *refStore) ClaimOutbox(_ context.Context, ref bot.OutboxRef, before time.Time, lease time.Duration) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.due[ref]
	if !ok || at.After(before) && r.bug != "claim-ignores-lease" {
		return false, nil
	}
	r.due[ref] = before.Add(lease)
	return true, nil
}

func (r *refStore) DueOutboxes(_ context.Context, before time.Time, limit int, lease time.Duration) ([]bot.OutboxRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.OutboxRef
	for ref, at := range r.due {
		if !at.After(before) {
			out = append(out, ref)
		}
	}
	slices.SortFunc(out, func(a, b bot.OutboxRef) int { return r.due[a].Compare(r.due[b]) })
	if len(out) > limit {
		out = out[:limit]
	}
	for _, ref := range out {
		r.due[ref] = before.Add(lease)
	}
	return out, nil
}

func (r *refStore) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

func (r *refStore) ForgetDelivery(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bug != "forget-ignored" {
		delete(r.seen, id)
	}
	return nil
}

func (r *refStore) FirstDelivery(_ context.Context, id string, ttl time.Duration) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if exp, ok := r.seen[id]; ok && r.now.Before(exp) && r.bug != "always-first" {
		if r.bug == "dedupe-extends" {
			r.seen[id] = r.now.Add(ttl)
		}
		return false, nil
	}
	r.seen[id] = r.now.Add(ttl)
	return true, nil
}

func skey(u bot.UserKey, id string) string { return u.String() + "/" + id }

func (r *refStore) live(key string) *refSession {
	rs := r.sessions[key]
	if rs == nil || !r.now.Before(rs.expires) {
		return nil
	}
	return rs
}

func (r *refStore) ActiveSession(_ context.Context, u bot.UserKey) (bot.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.active[u]
	if !ok {
		return bot.Session{}, bot.ErrNotFound
	}
	rs := r.live(skey(u, id))
	if rs == nil {
		return bot.Session{}, bot.ErrNotFound
	}
	return rs.s, nil
}

func (r *refStore) Session(_ context.Context, u bot.UserKey, id string) (bot.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.live(skey(u, id))
	if rs == nil {
		return bot.Session{}, bot.ErrNotFound
	}
	return rs.s, nil
}

func (r *refStore) Save(_ context.Context, ch bot.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ch.Session
	if s.Version != ch.Expected+1 && r.bug != "no-plus-one-check" {
		return errVersion
	}
	key := skey(s.User, s.ID)
	var applied map[string]bool
	if ch.Expected == 0 {
		if id, ok := r.active[s.User]; ok && r.live(skey(s.User, id)) != nil && r.bug != "create-ignores-active" {
			return bot.ErrConflict
		}
		applied = map[string]bool{}
	} else {
		rs := r.live(key)
		if r.bug == "completion-before-checks" && ch.Completion != nil {
			r.complete(s, ch.Completion)
		}
		if r.bug == "conflict-first" && rs != nil && rs.s.Version != ch.Expected {
			return bot.ErrConflict
		}
		switch {
		case rs == nil || rs.s.Status != bot.Active:
			return bot.ErrNotActive
		case ch.MessageID != "" && rs.applied[ch.MessageID]:
			return bot.ErrDuplicate
		case rs.s.Version != ch.Expected && r.bug != "no-version-check":
			return bot.ErrConflict
		}
		applied = rs.applied
		if r.bug == "lost-update" {
			// Check, then write without holding the lock in between.
			r.mu.Unlock()
			runtime.Gosched()
			r.mu.Lock()
		}
	}
	if ch.MessageID != "" && !(ch.Expected == 0 && r.bug == "create-forgets-message") {
		applied[ch.MessageID] = true
	}
	expires := r.now.Add(ch.TTL)
	if old := r.sessions[key]; old != nil && r.bug == "ttl-from-create" {
		expires = old.expires
	}
	if r.bug == "no-expiry" {
		expires = r.now.Add(1000 * time.Hour)
	}
	stored := s
	if r.bug == "lossy-session" {
		stored.Probing = ""
	}
	r.sessions[key] = &refSession{s: stored, applied: applied, expires: expires}
	if s.Status == bot.Active {
		r.active[s.User] = s.ID
	} else if r.active[s.User] == s.ID && r.bug != "keeps-active-pointer" {
		delete(r.active, s.User)
	}
	if s.Thread != "" {
		r.threads[r.threadRef(bot.ThreadRef{Platform: s.User.Platform, Workspace: s.User.Workspace, Channel: s.Channel, Thread: s.Thread})] = key
	}
	if ob := ch.Outbox; ch.MessageID != "" && ob != nil && ob.MessageID == ch.MessageID {
		if r.bug == "later-mark-replaces" {
			for m := range r.marks {
				if m.User == s.User && m.SessionID == s.ID {
					delete(r.marks, m)
				}
			}
		}
		ref := bot.OutboxRef{User: s.User, SessionID: s.ID, MessageID: ch.MessageID}
		r.marks[ref] = ob
		r.due[ref] = s.Updated
	}
	if c := ch.Completion; c != nil && r.bug != "completion-before-checks" {
		r.complete(s, c)
	}
	return nil
}

type versionError struct{}

func (versionError) Error() string { return "version must be expected+1" }

var errVersion error = versionError{}

func (r *refStore) complete(s bot.Session, c *bot.Completion) {
	st := r.stats[s.User]
	st.Sessions++
	st.Points += c.Points
	for i, v := range c.StepScores {
		st.StepTotals[i] += v
	}
	st.BestScore = max(st.BestScore, c.Score)
	st.LastScore = c.Score
	st.Recent = append([]string{c.ScenarioID}, st.Recent...)
	if len(st.Recent) > bot.RecentLimit && r.bug != "recent-unbounded" {
		st.Recent = st.Recent[:bot.RecentLimit]
	}
	st.Scores = append([]bot.ScorePoint{{Day: c.Day, Score: c.Score, Steps: c.StepScores}}, st.Scores...)
	if len(st.Scores) > bot.ScoresLimit {
		st.Scores = st.Scores[:bot.ScoresLimit]
	}
	if r.bug == "streak-back-in-time" && c.Day < st.LastDay {
		st.LastDay = c.Day
	}
	if st.LastDay != c.Day && c.Day > st.LastDay {
		d, _ := time.Parse("2006-01-02", c.Day)
		if st.LastDay == d.AddDate(0, 0, -1).Format("2006-01-02") {
			st.Streak++
		} else if r.bug != "streak-no-reset" {
			st.Streak = 1
		}
		st.LastDay = c.Day
	}
	st.BestStreak = max(st.BestStreak, st.Streak)
	r.stats[s.User] = st

	ws := string(s.User.Platform) + ":" + s.User.Workspace + ":"
	for _, p := range []bot.Period{bot.AllTime, bot.WeekPeriod(c.Week), bot.MonthPeriod(c.Month)} {
		if r.bug == "week-is-all-time" && p != bot.AllTime && p[0] == 'w' {
			p = bot.WeekPeriod("all")
		}
		b := r.boards[ws+string(p)]
		if b == nil {
			b = map[string]*boardRow{}
			r.boards[ws+string(p)] = b
		}
		row := b[s.User.UserID]
		if row == nil || !row.expires.IsZero() && !r.now.Before(row.expires) {
			row = &boardRow{reached: c.At}
			b[s.User.UserID] = row
		}
		if exp, ok, _ := bot.PeriodExpiry(p, r.now); ok && r.bug != "boards-never-expire" {
			row.expires = exp
		}
		row.name = c.UserName
		row.sessions++
		if c.Points != 0 {
			row.points += c.Points
			if r.bug != "tie-first-gain" {
				row.reached = c.At
			}
		}
	}
}

func (r *refStore) Thread(_ context.Context, ref bot.ThreadRef) (bot.ThreadBinding, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.live(r.threads[r.threadRef(ref)])
	if rs == nil {
		return bot.ThreadBinding{}, bot.ErrNotFound
	}
	return bot.ThreadBinding{User: rs.s.User, UserName: rs.s.UserName, SessionID: rs.s.ID}, nil
}

func (r *refStore) threadRef(ref bot.ThreadRef) bot.ThreadRef {
	if r.bug == "thread-ignores-channel" {
		ref.Channel = ""
	}
	return ref
}

func (r *refStore) Stats(_ context.Context, u bot.UserKey) (bot.Stats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats[u]
	st.Recent = slices.Clone(st.Recent)
	return st, nil
}

func (r *refStore) Leaderboard(_ context.Context, ws bot.Workspace, p bot.Period, limit int, viewer string) (bot.Board, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rows []bot.Standing
	reached := map[string]time.Time{}
	key := string(p)
	if r.bug == "week-is-all-time" && p[0] == 'w' {
		key = string(bot.WeekPeriod("all"))
	}
	for id, row := range r.boards[string(ws.Platform)+":"+ws.ID+":"+key] {
		if !row.expires.IsZero() && !r.now.Before(row.expires) {
			continue
		}
		rows = append(rows, bot.Standing{UserID: id, UserName: row.name, Points: row.points, Sessions: row.sessions})
		reached[id] = row.reached
	}
	slices.SortFunc(rows, func(a, b bot.Standing) int {
		switch {
		case a.Points != b.Points:
			if a.Points > b.Points {
				return -1
			}
			return 1
		case !reached[a.UserID].Equal(reached[b.UserID]) && r.bug != "tie-by-id":
			return reached[a.UserID].Compare(reached[b.UserID])
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	b := bot.Board{Period: p}
	for i := range rows {
		rows[i].Rank = i + 1
		if rows[i].UserID == viewer && (r.bug != "viewer-in-top-only" || i < limit) {
			v := rows[i]
			b.Viewer = &v
		}
	}
	b.Top = rows[:min(limit, len(rows))]
	return b, nil
}

func (r *refStore) Close() error { return nil }

const mutantEnv = "STORETEST_MUTANT"

// TestSuiteCatchesMutants runs single subtests of TestReference in a child
// process against refStore with one bug planted, and expects each to fail:
// proof that the suite asserts what it claims to.
func TestSuiteCatchesMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("running as a mutant child")
	}
	for _, m := range []struct{ bug, subtest string }{
		{"always-first", "FirstDelivery/FirstThenRepeat"},
		{"always-first", "FirstDelivery/ConcurrentOnlyOneFirst"},
		{"dedupe-extends", "FirstDelivery/ExpiresAfterTTL"},
		{"create-ignores-active", "Create/SecondActiveConflicts"},
		{"create-ignores-active", "Create/ConcurrentOnlyOneWins"},
		{"create-forgets-message", "Create/MessageIDJoinsAppliedSet"},
		{"no-plus-one-check", "Save/VersionNotExpectedPlusOne"},
		{"no-plus-one-check", "Create/VersionMustBeOne"},
		{"no-version-check", "Save/StaleVersion"},
		{"no-version-check", "Concurrency/RaceFromSameVersionOneWins"},
		{"conflict-first", "Save/StaleAndDuplicateIsDuplicate"},
		{"conflict-first", "Concurrency/SameMessageTenTimesAppliedOnce"},
		{"lost-update", "Concurrency/RetryLoopNoLostUpdate"},
		{"completion-before-checks", "Completion/ReplayCountedOnce"},
		{"keeps-active-pointer", "Completion/RemovesActivePointer"},
		{"recent-unbounded", "Completion/RecentNewestFirstBounded"},
		{"streak-no-reset", "Completion/StreakGapResets"},
		{"streak-no-reset", "Completion/StreakBestKeptAfterReset"},
		{"streak-back-in-time", "Completion/StreakEarlierDayChangesNothing"},
		{"thread-ignores-channel", "Thread/UnknownNotFound"},
		{"lossy-session", "Session/RoundTripsEveryField"},
		{"tie-by-id", "Leaderboard/TieGoesToFirst"},
		{"tie-first-gain", "Leaderboard/TieDecidedByLastGain"},
		{"viewer-in-top-only", "Leaderboard/LimitAndViewerOutsideTop"},
		{"week-is-all-time", "Leaderboard/Periods"},
		{"boards-never-expire", "Leaderboard/PeriodBoardsExpire"},
		{"forget-ignored", "FirstDelivery/ForgetLetsTheRetryThrough"},
		{"no-expiry", "Expiry/SessionKeysExpireTogether"},
		{"ttl-from-create", "Expiry/EachSaveRestartsTTL"},
		{"delivered-clears-other-marks", "Outbox/EachMessageItsOwnMark"},
		{"later-mark-replaces", "Outbox/EachMessageItsOwnMark"},
		{"claim-ignores-lease", "Outbox/ClaimOneAgainstTheSweeper"},
	} {
		t.Run(m.bug+"/"+m.subtest, func(t *testing.T) {
			group, name, _ := strings.Cut(m.subtest, "/")
			cmd := exec.Command(os.Args[0], "-test.run=^TestReference$/^"+group+"$/^"+name+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), mutantEnv+"="+m.bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("subtest %s passed with bug %q planted:\n%s", m.subtest, m.bug, out)
			}
			if want := "--- FAIL: TestReference/" + m.subtest; !strings.Contains(string(out), want) {
				t.Fatalf("bug %q: output lacks %q:\n%s", m.bug, want, out)
			}
		})
	}
}
