package bot

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// ChannelRef names one channel of a workspace on a platform.
type ChannelRef struct {
	Platform  Platform `json:"platform"`
	Workspace string   `json:"workspace"`
	Channel   string   `json:"channel"`
}

func (c ChannelRef) String() string {
	return string(c.Platform) + ":" + c.Workspace + ":" + c.Channel
}

// Thread returns the reference of a thread in the channel.
func (c ChannelRef) Thread(thread string) ThreadRef {
	return ThreadRef{Platform: c.Platform, Workspace: c.Workspace, Channel: c.Channel, Thread: thread}
}

// DailyConfig is what an admin sets for a channel with /mlsd daily on|off.
type DailyConfig struct {
	// Spec is a five-field cron spec read in Zone ("0 9 * * 1-5").
	Spec string `json:"spec"`
	// Zone is the IANA time zone of Spec and of the channel's local dates.
	Zone    string `json:"zone"`
	Enabled bool   `json:"enabled"`
	// RevealAt is a local time ("17:00"): the reveal of a post goes out at
	// its first occurrence after the post. Empty: at the next post.
	RevealAt string `json:"reveal_at,omitempty"`
	// SetBy is the admin who last changed the config.
	SetBy string `json:"set_by,omitempty"`
	// Since is when the config was last changed: occurrences at or before
	// it never post, so turning a schedule on never posts a catch-up.
	Since time.Time `json:"since"`
}

// DailyPost is one daily challenge posted in a channel.
type DailyPost struct {
	Channel ChannelRef `json:"channel"`
	// Date is the local date the post belongs to, in Zone ("2026-03-09").
	Date       string    `json:"date"`
	Zone       string    `json:"zone"`
	ScenarioID string    `json:"scenario"`
	Thread     string    `json:"thread"`
	PostedAt   time.Time `json:"posted_at"`
	// Revealed is set once the reveal went out; replies in the thread are
	// then follow-up answers, no longer lightning answers.
	Revealed bool `json:"revealed,omitempty"`
}

// Ref is the thread reference of the post.
func (p DailyPost) Ref() ThreadRef { return p.Channel.Thread(p.Thread) }

// DailySchedule is a channel's daily-challenge record: the admin's config
// and the state the posts leave behind.
type DailySchedule struct {
	Channel ChannelRef
	Config  DailyConfig
	// Used are the scenarios posted in the channel since the rotation last
	// started over; Last is the latest post (nil before the first).
	Used []string
	Last *DailyPost
	// RevealedDate is the Date of the latest post whose reveal went out.
	RevealedDate string
	// NowRequested is when an admin asked for /mlsd daily now; zero when
	// no request is pending.
	NowRequested time.Time
}

// DailyAnswer is a person's counted (first) answer to a daily post.
type DailyAnswer struct {
	User     UserKey   `json:"user"`
	UserName string    `json:"user_name"`
	Score    int       `json:"score"`  // 0..100
	Points   float64   `json:"points"` // what it adds to the leaderboards
	At       time.Time `json:"at"`
	Week     string    `json:"week"`  // ISO week of At, "2026-W48"
	Month    string    `json:"month"` // "2026-11"
	Day      string    `json:"day"`   // local date in the channel's zone, for the streak
}

// SortDailyAnswers puts answers in the order DailyStore.DailyAnswers
// returns them: best Score first, then earlier At, then user id.
func SortDailyAnswers(as []DailyAnswer) {
	slices.SortFunc(as, func(x, y DailyAnswer) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return cmp.Compare(x.User.UserID, y.User.UserID)
	})
}

// NudgeRef names a session whose idleness is checked at a due time.
type NudgeRef struct {
	User      UserKey
	SessionID string
}

// DailyStore keeps the daily challenge's state: per-channel schedules and
// rotation, claims that make every post, reveal and nudge happen once
// across replicas, the threads of daily posts, lightning answers with the
// credit they earn, opt-outs from public top scores, and the due times of
// idle-session checks. bot/bolt and bot/redis implement it next to Store;
// bot/storetest.RunDaily is the contract both pass.
//
// Every method is safe for concurrent use. Errors follow Store's:
// ErrNotFound for a missing record, ErrUnavailable when the store cannot be
// reached (nothing was written).
type DailyStore interface {
	// DailySchedule returns a channel's record, or ErrNotFound when the
	// channel has none.
	DailySchedule(ctx context.Context, ch ChannelRef) (DailySchedule, error)

	// DailySchedules returns every channel's record, in no particular
	// order. The reconciler reads it on every tick.
	DailySchedules(ctx context.Context) ([]DailySchedule, error)

	// SetDailyConfig creates the channel's record or replaces its Config;
	// Used, Last, RevealedDate and NowRequested are left as they are.
	SetDailyConfig(ctx context.Context, ch ChannelRef, cfg DailyConfig) error

	// RequestDailyNow sets the channel's NowRequested to at, creating the
	// record (with a zero Config) when there is none.
	RequestDailyNow(ctx context.Context, ch ChannelRef, at time.Time) error

	// ClearDailyNow sets NowRequested back to zero; a no-op without a
	// record or a request.
	ClearDailyNow(ctx context.Context, ch ChannelRef) error

	// RecordDailyPost makes p its channel's Last post and used its Used
	// list (absolute values: recording the same post twice changes
	// nothing), creating the record when there is none, and binds p.Thread
	// to p for ttl (see DailyThread; a binding already marked revealed
	// stays revealed). Config, RevealedDate and NowRequested are left as
	// they are.
	RecordDailyPost(ctx context.Context, p DailyPost, used []string, ttl time.Duration) error

	// DailyThread returns the post whose thread ref names, or ErrNotFound
	// when none was recorded or its ttl has passed. All four ThreadRef
	// fields name the thread.
	DailyThread(ctx context.Context, ref ThreadRef) (DailyPost, error)

	// MarkDailyRevealed sets Revealed on the post bound to p's thread
	// (keeping its ttl; a no-op when the binding is gone) and, on the
	// channel's record, Last.Revealed when Last is p (same Date), and
	// RevealedDate to p.Date unless it already holds a later date.
	MarkDailyRevealed(ctx context.Context, p DailyPost) error

	// Claim reports whether the caller won key, the idempotency key of one
	// piece of work (a post, a reveal). A key is won when nobody holds it,
	// or when its last winner neither finished it (Finish) nor claimed it
	// again for lease (the winner died half-way; lease <= 0 means never).
	// A finished key is never won again. A key is forgotten ttl after the
	// claim that created it. Lease and ttl run on the store's clock.
	Claim(ctx context.Context, key string, lease, ttl time.Duration) (bool, error)

	// Finish marks a claimed key done, keeping its ttl; a no-op when the
	// key is unknown or has been forgotten.
	Finish(ctx context.Context, key string) error

	// NoteClaim keeps note with a claimed key, replacing any earlier note
	// and keeping the key's ttl and lease, so that a replica that takes the
	// key over (Claim after the lease) learns how far its last winner got.
	// A no-op on a finished key; ErrNotFound when the key is unknown or
	// has been forgotten.
	NoteClaim(ctx context.Context, key, note string) error

	// ClaimNote returns the note kept with an unfinished key, or "" when
	// it has none, is finished, unknown or forgotten. A takeover keeps the
	// note.
	ClaimNote(ctx context.Context, key string) (string, error)

	// RecordDailyAnswer counts a's author's first answer to post p and
	// reports whether this was it. The first call for (p's channel,
	// p.Date, a.User) records a as one of the post's answers (kept for
	// ttl), and credits the author exactly once: a.Points join the user's
	// Stats.Points and their standing on the AllTime, WeekPeriod(a.Week)
	// and MonthPeriod(a.Month) boards of their workspace (UserName becomes
	// a.UserName; "reached" is a.At when Points > 0), and a.Day moves the
	// streak as a Completion's Day does. Sessions, StepTotals, scores and
	// Recent do not change: a daily answer is not an interview. Later calls
	// change nothing and return the counted answer with false.
	RecordDailyAnswer(ctx context.Context, p DailyPost, a DailyAnswer, ttl time.Duration) (counted DailyAnswer, first bool, err error)

	// DailyAnswers returns the counted answers of post p (its channel and
	// Date), best Score first, equal scores by earlier At, then user id.
	DailyAnswers(ctx context.Context, p DailyPost) ([]DailyAnswer, error)

	// SetDailyOptOut records whether user keeps their daily scores out of
	// the public reveal (true) or shows them (false, the default).
	SetDailyOptOut(ctx context.Context, user UserKey, out bool) error

	// DailyOptedOut returns, for the given user ids of ws, which have
	// opted out (absent means no).
	DailyOptedOut(ctx context.Context, ws Workspace, users []string) (map[string]bool, error)

	// ScheduleNudge sets n's due time, replacing any earlier one (one entry
	// per session).
	ScheduleNudge(ctx context.Context, n NudgeRef, due time.Time) error

	// DueNudges claims up to limit entries whose due time is at or before
	// now, earliest first, and moves each one's due time to now+lease, so
	// concurrent callers never get the same entry until lease has passed
	// (a caller that died leaves it to be claimed again).
	DueNudges(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]NudgeRef, error)

	// CancelNudge removes n's entry; a no-op when there is none.
	CancelNudge(ctx context.Context, n NudgeRef) error
}

// Calendar reads the cron specs of daily schedules; bot/schedule
// implements it on robfig/cron, so package bot never parses cron itself.
type Calendar interface {
	// Next returns when the daily post of spec, read in loc, is next due
	// strictly after after: the first post time of a later matching local
	// date. The error explains, in words fit for the admin, why spec is
	// refused (malformed, several posts a day, never due).
	Next(spec string, loc *time.Location, after time.Time) (time.Time, error)
}

// Poster sends a message nobody asked for (the daily post, a reveal, a
// nudge) and returns the id of the thread it started or landed in. The
// Slack and Discord adapters implement it.
type Poster interface {
	Post(ctx context.Context, out Outbound) (threadID string, err error)
}

// PostFinder is a Poster that can tell whether a post went out after all:
// a replica that takes over a claimed post whose last winner stopped
// between the platform's answer and noting it asks before posting again.
// The Slack and Discord adapters implement it.
type PostFinder interface {
	// FindPost looks in out.Where for a message this bot posted at or
	// after since that is out: the same Key where the platform keeps one,
	// else the same content. It returns what Post returned (or would have
	// returned) for it, with found false when there is none. An error
	// means the platform could not be asked; the caller must not post.
	FindPost(ctx context.Context, out Outbound, since time.Time) (threadID string, found bool, err error)
}
