package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store errors. Implementations return these (possibly wrapped) so that
// callers can test them with errors.Is.
var (
	// ErrNotFound: no such session, thread or record.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the stored version is not Change.Expected (another
	// replica or goroutine moved first; reload and decide again), or a new
	// session was created while the user already has an active one.
	ErrConflict = errors.New("version conflict")
	// ErrDuplicate: Change.MessageID was already applied to this session.
	ErrDuplicate = errors.New("message already applied")
	// ErrNotActive: the session being updated is no longer active
	// (completed, abandoned, expired).
	ErrNotActive = errors.New("session not active")
	// ErrUnavailable: the store could not be reached or timed out. Nothing
	// was half-written; for Save, the change was either applied whole (its
	// reply was lost in transit) or not at all, so callers read the session
	// back before asking the user to send the message again.
	ErrUnavailable = errors.New("store unavailable")
	// ErrStorageFull: the store refused a write for lack of space (a full
	// disk under bbolt; Redis at maxmemory, or unable to persist). Nothing
	// was written. It wraps ErrUnavailable, so callers that only retry
	// later need not tell the two apart; the store's error wraps the cause.
	ErrStorageFull = fmt.Errorf("storage full: %w", ErrUnavailable)
)

// Store keeps interview state, dedupe marks, thread bindings, per-user
// stats and leaderboards. One implementation is embedded (bot/bolt), one is
// shared by replicas (bot/redis); bot/storetest is the contract both pass.
//
// Every method is safe for concurrent use.
type Store interface {
	// FirstDelivery records a platform event or message id and reports
	// whether this is its first delivery within ttl. A second call with the
	// same id inside ttl returns false; once ttl has passed since the call
	// that returned true, the id counts as new again (repeats do not extend
	// it). Ids share one namespace: callers prefix them with the
	// platform.
	FirstDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error)

	// ForgetDelivery removes FirstDelivery's mark of id, so the platform's
	// retry of a delivery whose handling failed is handled, not dropped.
	// Forgetting an unknown id is not an error.
	ForgetDelivery(ctx context.Context, id string) error

	// ActiveSession returns the user's active session, or ErrNotFound.
	ActiveSession(ctx context.Context, user UserKey) (Session, error)

	// Session returns a session by owner and id, whatever its status, or
	// ErrNotFound once it has expired (or if user does not own id).
	Session(ctx context.Context, user UserKey, id string) (Session, error)

	// Save applies one state change atomically (one round trip for Redis).
	//
	// With ch.Expected == 0 it creates ch.Session and makes it the user's
	// active session; ErrConflict if the user already has one.
	// Otherwise the stored active session with ch.Session.ID must be at
	// version ch.Expected (else ErrConflict), still active (else
	// ErrNotActive), and must not have applied ch.MessageID before (else
	// ErrDuplicate); then ch.Session replaces it and ch.MessageID joins its
	// applied set. ch.Session.Version must be ch.Expected+1.
	//
	// Clarifications (the contract bot/storetest checks):
	//   - The owner is ch.Session.User. On create a non-empty ch.MessageID
	//     starts the new session's applied set.
	//   - A session that does not exist or has expired is not active.
	//   - When several errors apply, ErrNotActive wins over ErrDuplicate,
	//     which wins over ErrConflict, so a replay is reported as a replay
	//     whatever happened since.
	//   - A change whose ch.Session.Version is not ch.Expected+1 fails with
	//     an error and writes nothing.
	//   - Every failed Save writes nothing.
	//
	// When ch.Session.Thread is set, the thread is bound to the session
	// (see Thread). When ch.Session.Status is not Active the user's active
	// pointer is removed. When ch.Completion is set the user's stats and the
	// workspace leaderboards are updated exactly once, with absolute values.
	// Every key of the session expires together ch.TTL after this change:
	// afterwards ActiveSession, Session and Thread return ErrNotFound, Save
	// returns ErrNotActive and the user may create a new session. Stats and
	// leaderboards do not expire with the session.
	Save(ctx context.Context, ch Change) error

	// Thread returns the owner and session bound to a thread, or ErrNotFound.
	// Save binds ThreadRef{owner's Platform, owner's Workspace,
	// Session.Channel, Session.Thread} to ThreadBinding{owner,
	// Session.UserName, Session.ID}; all four ThreadRef fields name the
	// thread, and the binding expires with its session.
	Thread(ctx context.Context, ref ThreadRef) (ThreadBinding, error)

	// Stats returns a user's totals; a user with none gets the zero Stats.
	Stats(ctx context.Context, user UserKey) (Stats, error)

	// Leaderboard returns the top limit standings of a workspace for a
	// period, and the viewer's own standing (nil if absent). Higher points
	// rank first; equal points go to whoever reached them first.
	//
	// A completion counts in its owner's workspace for AllTime,
	// WeekPeriod(Completion.Week) and MonthPeriod(Completion.Month).
	// Standing.Points and Sessions are the user's totals in that period,
	// UserName is the latest Completion.UserName, and "reached first" means
	// the earlier Completion.At of the completion that last raised the
	// user's points (compared to the second). Ranks are positions 1, 2, 3...
	// in that order. viewer is a user id in ws; Viewer is set whenever that
	// user has a standing, inside Top or not.
	Leaderboard(ctx context.Context, ws Workspace, period Period, limit int, viewer string) (Board, error)

	// Pending outbox. A Save whose ch.MessageID is not empty and whose
	// ch.Outbox holds the replies of that very message keeps them pending,
	// in the same atomic write, at ch.Session.Updated: the replies are
	// saved but not known to have reached the platform. Every message has
	// its own mark, so a later message's Save leaves an earlier one's
	// pending replies as they are; a failed Save writes none. The marks let
	// whichever process runs next deliver replies a crash left behind
	// (Bot.RunOutbox); they belong to the user (Forget removes them) and
	// live no longer than the session's idle TTL.

	// PendingOutbox returns ref's saved replies while they are pending,
	// and nil once they were delivered (or never saved).
	PendingOutbox(ctx context.Context, ref OutboxRef) (*Outbox, error)

	// OutboxDelivered clears ref's mark once its replies went out (other
	// messages' marks stay), and ref's entry in the list DueOutboxes
	// reads. A no-op when there is neither.
	OutboxDelivered(ctx context.Context, ref OutboxRef) error

	// ClaimOutbox claims ref's mark alone, as DueOutboxes claims marks:
	// when it was made (or its last claim ran out) at or before before, it
	// moves to before+lease and ClaimOutbox reports true; a mark another
	// caller holds, or none, gives false. A redelivered message takes its
	// saved replies this way, so it and the sweeper never both send them.
	ClaimOutbox(ctx context.Context, ref OutboxRef, before time.Time, lease time.Duration) (bool, error)

	// DueOutboxes claims up to limit marks made at or before before, oldest
	// first, and moves each one's time to before+lease, so that concurrent
	// callers (other replicas) never get the same mark until lease has
	// passed; a caller that died leaves it to be claimed again. It may
	// return refs whose mark a later Save replaced or a delivery cleared:
	// callers check PendingOutbox, and clear such refs with
	// OutboxDelivered.
	DueOutboxes(ctx context.Context, before time.Time, limit int, lease time.Duration) ([]OutboxRef, error)

	// Close releases the store.
	Close() error
}

// OutboxRef names the saved replies of one message in one session.
type OutboxRef struct {
	User      UserKey
	SessionID string
	MessageID string
}

// Change is one state transition of a session.
type Change struct {
	Session    Session
	Expected   int64  // the version the change was computed from; 0 creates
	MessageID  string // applied at most once per session; "" skips the check
	Completion *Completion
	TTL        time.Duration // idle expiry of the session's keys
	// Outbox is the replies to MessageID, kept pending with the change
	// (nil: none to keep; ignored unless Outbox.MessageID is MessageID).
	Outbox *Outbox
	// Previous, when the caller has it, is the session at version Expected
	// that the change was computed from: a store may then write only what
	// differs from it. A store must ignore it unless its ID and Version
	// are Session's ID and Expected.
	Previous *Session
}

// ThreadRef names a thread on a platform.
type ThreadRef struct {
	Platform  Platform
	Workspace string
	Channel   string
	Thread    string
}

// ThreadBinding says whose interview a thread hosts.
type ThreadBinding struct {
	User      UserKey
	UserName  string
	SessionID string
}

// Workspace names a Slack team, Discord guild or the console.
type Workspace struct {
	Platform Platform
	ID       string
}

// Completion is what a finished session adds to stats and leaderboards.
//
// It adds 1 to Stats.Sessions, Points to Stats.Points and StepScores to
// Stats.StepTotals; LastScore becomes Score and BestScore the maximum;
// ScenarioID is put first in Recent (older entries beyond RecentLimit are
// dropped), and {Day, Score, StepScores} first in Scores (beyond
// ScoresLimit dropped). Streaks count local days: Day equal to LastDay leaves Streak
// unchanged, the day after LastDay adds 1, anything else sets Streak to 1;
// BestStreak keeps the maximum and LastDay becomes Day.
type Completion struct {
	SessionID  string
	ScenarioID string
	UserName   string
	Score      int
	Points     float64
	StepScores [Steps]float64 // 0..1 per step
	At         time.Time
	Week       string // ISO week of At, "2026-W48"
	Month      string // "2026-11"
	Day        string // local date, "2026-11-25", for streaks
	// Marks are the concept outcomes of the finished session; each is
	// added to the owner's coverage with ConceptTrack.Track (ProgressStore).
	Marks []ConceptMark
	// History, when set, is put first in the owner's history; entries
	// beyond HistoryLimit are dropped.
	History *HistoryEntry
	// Mode and Band of the interview, for the admin's export.
	Mode Mode
	Band string
	// Drill marks a finished drill: it adds Points (to Stats and the
	// boards), advances the streak and records Marks and History, but
	// counts no session: Sessions, StepTotals, BestScore, LastScore,
	// Recent, the boards' session counts and the workspace's TeamStats
	// are left as they are.
	Drill bool
}

// Stats are one user's totals.
type Stats struct {
	Sessions   int            `json:"sessions"`
	Points     float64        `json:"points"`
	StepTotals [Steps]float64 `json:"step_totals"` // sum of step scores; divide by Sessions
	BestScore  int            `json:"best_score"`
	LastScore  int            `json:"last_score"`
	Recent     []string       `json:"recent"` // scenario ids, newest first, at most RecentLimit
	// Scores are the latest interviews' scores, newest first, at most
	// ScoresLimit: the /mlsd me chart.
	Scores     []ScorePoint `json:"scores,omitempty"`
	Streak     int          `json:"streak"`
	BestStreak int          `json:"best_streak"`
	LastDay    string       `json:"last_day"`
}

// RecentLimit bounds Stats.Recent.
const RecentLimit = 20

// ScoresLimit bounds Stats.Scores.
const ScoresLimit = 30

// ScorePoint is one completed interview in Stats.Scores.
type ScorePoint struct {
	Day   string         `json:"day"` // Completion.Day
	Score int            `json:"score"`
	Steps [Steps]float64 `json:"steps"`
}

// Period selects a leaderboard: AllTime, or Week("2026-W48"), Month("2026-11").
type Period string

// AllTime is the leaderboard that never resets.
const AllTime Period = "all"

// WeekPeriod returns the period key of an ISO week ("2026-W48").
func WeekPeriod(week string) Period { return Period("w:" + week) }

// MonthPeriod returns the period key of a month ("2026-11").
func MonthPeriod(month string) Period { return Period("m:" + month) }

// Standing is one row of a leaderboard.
type Standing struct {
	Rank     int     `json:"rank"` // 1-based
	UserID   string  `json:"user_id"`
	UserName string  `json:"user_name"`
	Points   float64 `json:"points"`
	Sessions int     `json:"sessions"`
}

// Board is a leaderboard page.
type Board struct {
	Period Period // the period asked for
	Top    []Standing
	Viewer *Standing
}

// ISOWeek formats t's ISO week as "2006-W01".
func ISOWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}
