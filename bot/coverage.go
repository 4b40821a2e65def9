package bot

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Outcome is what one graded answer did with one rubric concept or red flag.
type Outcome byte

const (
	Earned    Outcome = 'E' // the answer credited the concept
	Missed    Outcome = 'M' // the answer did not mention it
	Dismissed Outcome = 'D' // the answer mentioned it only to dismiss it
	Flagged   Outcome = 'F' // the answer raised the red flag
)

// CoverageWindow is how many of a concept's latest chances a person's
// coverage keeps: "missed 4 of the last 5 times" counts inside it.
const CoverageWindow = 10

// HistoryLimit bounds the sessions and drills a person's history keeps.
const HistoryLimit = 20

// ConceptMark is one concept's (or red flag's) outcome in one graded step.
//
// Key names what carries across sessions: a framework concept is the same
// idea in every scenario ("f:monitoring:feedback_loop"), a case concept
// belongs to its scenario ("c:news-feed:data:dwell_time"), a red flag is
// the same mistake wherever it is made ("r:random_split").
type ConceptMark struct {
	Key   string `json:"k"`
	Label string `json:"l"`
	Step  StepID `json:"s"`
	// Weight and Important are the concept's in its rubric; they rank
	// concepts missed equally often.
	Weight    float64 `json:"w,omitempty"`
	Important bool    `json:"i,omitempty"`
	Outcome   Outcome `json:"o"`
}

// ConceptTrack is one concept's or red flag's record for a person.
type ConceptTrack struct {
	Key       string  `json:"key"`
	Label     string  `json:"label"`
	Step      StepID  `json:"step"`
	Weight    float64 `json:"weight,omitempty"`
	Important bool    `json:"important,omitempty"`
	// Recent holds the latest outcomes, oldest first, at most
	// CoverageWindow of them ("EMMEM").
	Recent string `json:"recent"`
	// Total counts every chance ever recorded (for a red flag: every time
	// it was raised).
	Total int `json:"total"`
}

// Misses counts the chances in Recent the concept was not earned.
func (t ConceptTrack) Misses() int {
	return strings.Count(t.Recent, string(Missed)) + strings.Count(t.Recent, string(Dismissed))
}

// IsFlag reports whether the track is a red flag's rather than a concept's.
func (t ConceptTrack) IsFlag() bool { return strings.HasPrefix(t.Key, "r:") }

// Track adds one outcome to t, keeping the window; label and step follow
// the latest mark. Every store applies marks through this rule (the Redis
// script holds the same in Lua; storetest checks both).
func (t *ConceptTrack) Track(m ConceptMark) {
	t.Key, t.Label, t.Step, t.Weight, t.Important = m.Key, m.Label, m.Step, m.Weight, m.Important
	t.Recent += string(m.Outcome)
	if len(t.Recent) > CoverageWindow {
		t.Recent = t.Recent[len(t.Recent)-CoverageWindow:]
	}
	t.Total++
}

// HistoryKind tells an interview from a drill in a person's history.
type HistoryKind string

const (
	KindInterview HistoryKind = "interview"
	KindDrill     HistoryKind = "drill"
)

// HistoryEntry is one finished interview or drill in a person's history.
type HistoryEntry struct {
	SessionID  string         `json:"session"`
	Kind       HistoryKind    `json:"kind"`
	ScenarioID string         `json:"scenario"`
	Title      string         `json:"title"`
	Mode       Mode           `json:"mode"`
	Score      int            `json:"score"`
	Band       string         `json:"band"`
	StepScores [Steps]float64 `json:"step_scores"`
	// Step is the drilled step (drills only).
	Step    StepID    `json:"step,omitempty"`
	At      time.Time `json:"at"`
	Channel string    `json:"channel,omitempty"`
	Thread  string    `json:"thread,omitempty"`
	// Report is the report as shown, without the reference outline (the
	// scenario still has it) so that twenty of them stay small.
	Report *Report `json:"report,omitempty"`
}

// PersonProgress is what a person's coverage and history hold.
type PersonProgress struct {
	// Tracks are the person's concept and red-flag records, in no
	// particular order.
	Tracks []ConceptTrack
	// History is newest first, at most HistoryLimit entries.
	History []HistoryEntry
}

// ProgressStore keeps concept coverage and history. A completing Save
// records Completion.Marks and Completion.History in the same atomic
// change that counts the completion, so a replay never counts them twice.
//
// A completing Save also adds the completion to its workspace's
// TeamStats, once per session id: Sessions, Week[Completion.Week],
// Month[Completion.Month] and Scenarios[ScenarioID] by one, StepTotals by
// StepScores, and the team's miss count of every mark that is Missed or
// Dismissed by one.
type ProgressStore interface {
	// Progress returns a person's coverage and history (zero when none),
	// in a bounded number of round trips.
	Progress(ctx context.Context, user UserKey) (PersonProgress, error)

	// Team returns a workspace's aggregate for the given ISO week and
	// month, with the limit concepts missed most (most first; equal
	// counts by key, descending, as Redis orders ties), in a bounded number of round trips whatever the number of
	// people.
	Team(ctx context.Context, ws Workspace, week, month string, limit int) (TeamStats, error)

	// StatsOf returns the Stats (without Recent and Scores) of the given user ids of
	// ws, zero for those with none, in one round trip: boards and posts
	// read their people's streaks with it instead of one Stats call each.
	StatsOf(ctx context.Context, ws Workspace, users []string) (map[string]Stats, error)

	// SetAnonymous records whether the user's name is hidden ("anonymous")
	// on the workspace's boards, reveals and standings posts.
	SetAnonymous(ctx context.Context, user UserKey, on bool) error

	// Anonymous returns which of the given user ids of ws have hidden
	// their name, in one round trip.
	Anonymous(ctx context.Context, ws Workspace, users []string) (map[string]bool, error)

	// Forget deletes everything stored about the user in their workspace:
	// sessions (an active one too) with their answers, applied-message
	// sets and thread bindings, stats, period totals and leaderboard rows
	// (so boards rank without them), coverage, history, streaks, daily
	// answers and opt-outs, idle checks and the anonymous flag. The
	// workspace's TeamStats keep their counts, which name nobody. It
	// returns how many records of each kind (ForgetKinds) it deleted;
	// calling it again deletes nothing more and is not an error.
	Forget(ctx context.Context, user UserKey) (map[string]int, error)
}

// Kinds of records Forget counts.
const (
	ForgotSessions     = "sessions"
	ForgotHistory      = "history entries"
	ForgotCoverage     = "concept records"
	ForgotStats        = "stats and streak records"
	ForgotBoardRows    = "leaderboard rows"
	ForgotDailyAnswers = "daily answers"
	ForgotExportRows   = "export rows"
	ForgotOther        = "other records (thread bindings, idle checks, settings)"
)

// ForgetKinds lists Forget's kinds in the order replies show them.
func ForgetKinds() []string {
	return []string{ForgotSessions, ForgotHistory, ForgotCoverage, ForgotStats, ForgotBoardRows, ForgotDailyAnswers, ForgotExportRows, ForgotOther}
}

// TeamStats is a workspace's aggregate: counts only, no person in it.
type TeamStats struct {
	Sessions   int            // completions ever
	Week       int            // completions in the week asked for
	Month      int            // completions in the month asked for
	StepTotals [Steps]float64 // sums of step scores; divide by Sessions
	Missed     []TeamMiss     // the concepts missed most
	Scenarios  map[string]int // completions by scenario id
}

// TeamMiss is one concept and how many times the team missed it.
type TeamMiss struct {
	Key    string
	Label  string
	Step   StepID
	Misses int
}

// TeamMisses returns the marks that count as misses of the team.
func TeamMisses(marks []ConceptMark) []ConceptMark {
	var out []ConceptMark
	for _, m := range marks {
		if m.Outcome == Missed || m.Outcome == Dismissed {
			out = append(out, m)
		}
	}
	return out
}

// conceptMarks lists every concept of a graded step with its outcome, then
// the red flags the answer raised.
func conceptMarks(sc *Scenario, step StepID, r *rubric.Rubric, g *rubric.StepGrade) []ConceptMark {
	if r == nil {
		return nil
	}
	var own map[string]bool
	if spec := sc.Spec(step); spec != nil {
		own = make(map[string]bool, len(spec.Concepts))
		for _, c := range spec.Concepts {
			own[c.ID] = true
		}
	}
	out := make([]ConceptMark, 0, len(r.Concepts)+len(g.RedFlags))
	for _, c := range r.Concepts {
		m := ConceptMark{Key: conceptKey(sc.ID, step, c.ID, own[c.ID]), Label: c.Label, Step: step,
			Weight: c.Weight, Important: c.Important, Outcome: Missed}
		switch {
		case slices.ContainsFunc(g.Matches, func(x rubric.Match) bool { return x.Concept == c.ID }):
			m.Outcome = Earned
		case slices.ContainsFunc(g.Dismissed, func(x rubric.Match) bool { return x.Concept == c.ID }):
			m.Outcome = Dismissed
		}
		out = append(out, m)
	}
	for _, f := range g.RedFlags {
		if f.Dismissed {
			continue // its concept is marked Dismissed above
		}
		out = append(out, ConceptMark{Key: "r:" + f.ID, Label: f.Label, Step: step, Outcome: Flagged})
	}
	return out
}

func conceptKey(scenario string, step StepID, id string, caseConcept bool) string {
	if caseConcept {
		return "c:" + scenario + ":" + step.Key() + ":" + id
	}
	return "f:" + step.Key() + ":" + id
}

// historyEntry summarises a finished session for its owner's history.
func historyEntry(s *Session, kind HistoryKind, stepScores [Steps]float64) *HistoryEntry {
	r := *s.Final
	r.Outline = nil
	r.Coverage = nil
	return &HistoryEntry{
		SessionID: s.ID, Kind: kind, ScenarioID: s.ScenarioID, Title: r.ScenarioTitle, Mode: s.Mode,
		Score: r.Score, Band: BandFor(r.Score), StepScores: stepScores, Step: s.Drill, At: s.Updated,
		Channel: s.Channel, Thread: s.Thread, Report: &r,
	}
}
