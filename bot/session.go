package bot

import (
	"slices"
	"time"
)

// Mode sets when feedback is shown.
type Mode string

const (
	// Mock shows feedback only in the final report (the default).
	Mock Mode = "mock"
	// Practice adds short feedback after every step.
	Practice Mode = "practice"
)

// Status of a session.
type Status string

const (
	Active    Status = "active"
	Completed Status = "completed"
	Abandoned Status = "abandoned"
)

// Session is one interview: everything the engine needs to continue it.
// Stores keep it whole and replace it with compare-and-swap on Version.
type Session struct {
	ID         string  `json:"id"`
	Version    int64   `json:"version"`
	User       UserKey `json:"user"`
	UserName   string  `json:"user_name"`
	Channel    string  `json:"channel"`
	Thread     string  `json:"thread,omitempty"`
	ScenarioID string  `json:"scenario"`
	Mode       Mode    `json:"mode"`
	Status     Status  `json:"status"`
	Step       StepID  `json:"step"`
	// WrapPart is the wrap-up question being asked (0..2) while Step == WrapUp.
	WrapPart int `json:"wrap_part,omitempty"`
	// Probing is the concept id of the follow-up question awaiting a reply.
	Probing string `json:"probing,omitempty"`
	// Drill, when set, makes the session a drill of that one step: its
	// question, one follow-up, then practice feedback (see drill.go).
	Drill StepID `json:"drill,omitempty"`
	// Answers are indexed by StepID; Answers[WrapUp] is unused (see Wrap).
	Answers [WrapUp + 1]StepAnswer `json:"answers"`
	Wrap    [3]StepAnswer          `json:"wrap"`
	Started time.Time              `json:"started"`
	Updated time.Time              `json:"updated"`
	Nudged  time.Time              `json:"nudged,omitzero"`
	// Final is set when the session completes.
	Final *Report `json:"final,omitempty"`
	// LastMessage is the platform id of the last message applied to the
	// session: a redelivery of it is not read by the AI judge again.
	LastMessage string `json:"last_message,omitempty"`
}

// Outbox holds the addressed replies of one applied message, saved with
// the change that applied it and kept by the store until they are
// delivered (Store's pending outbox): a platform redelivery of that
// message, or the sweeper of the next process, sends them instead of
// nothing when the process that saved them died before they went out.
type Outbox struct {
	MessageID string     `json:"message_id"`
	Replies   []Outbound `json:"replies"`
}

// StepAnswer is what the candidate said in one step.
type StepAnswer struct {
	Text    string   `json:"text,omitempty"`
	Hints   int      `json:"hints,omitempty"`
	Named   []string `json:"named,omitempty"` // concepts named by tier-2 hints
	Skipped bool     `json:"skipped,omitempty"`
	Probed  bool     `json:"probed,omitempty"` // the follow-up was asked
	// Turns counts the messages merged into Text, for the transcript.
	Turns int `json:"turns,omitempty"`
	// Judged is the AI judge's checked reading of Text, when it is on.
	Judged *Judgment `json:"judged,omitempty"`
	// FollowUp is the model-written follow-up asked instead of the
	// rubric's probe.
	FollowUp string `json:"follow_up,omitempty"`
}

// Key returns the session owner's key.
func (s *Session) Key() UserKey { return s.User }

// outboxOf is the copy of replies a change saves: a reply that is the
// session's final report keeps only a mark, since the session stores that
// report as Final (a finished session would otherwise hold it twice).
func outboxOf(messageID string, replies []Outbound, final *Report) *Outbox {
	saved := slices.Clone(replies)
	for i, r := range saved {
		if final != nil && r.Report != nil && r.Report.SessionID == final.SessionID && r.Text == ReportText(final) {
			saved[i].Report, saved[i].Text, saved[i].FinalReport = nil, "", true
		}
	}
	return &Outbox{MessageID: messageID, Replies: saved}
}

// replies returns the saved replies as they were sent, the final report
// put back from the session.
func (o *Outbox) replies(s *Session) []Outbound {
	out := slices.Clone(o.Replies)
	for i, r := range out {
		if r.FinalReport && s.Final != nil {
			out[i].Report, out[i].Text, out[i].FinalReport = s.Final, ReportText(s.Final), false
		}
	}
	return out
}
