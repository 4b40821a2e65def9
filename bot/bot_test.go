package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
)

type harness struct {
	t     *testing.T
	bot   *bot.Bot
	store bot.Store
	clock *clocktest.Clock
	lib   *bot.Library
	seq   int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newHarnessWithStore(t, store)
}

func newHarnessWithStore(t *testing.T, store bot.Store) *harness {
	t.Helper()
	clk := clocktest.New(t0)
	lib := builtin(t)
	n := 0
	b, err := bot.New(bot.Config{
		Store:   store,
		Library: lib,
		Now:     clk.Now,
		Intn:    func(k int) int { n++; return n % k },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, bot: b, store: store, clock: clk, lib: lib}
}

// msg sends one message as user in channel/thread and returns the replies.
func (h *harness) msg(user, thread string, kind bot.InboundKind, text string) []bot.Outbound {
	h.t.Helper()
	h.seq++
	h.clock.Advance(time.Minute)
	out, err := h.bot.Handle(context.Background(), bot.Inbound{
		Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: thread,
		UserID: user, UserName: strings.ToUpper(user), MessageID: fmt.Sprintf("m%d", h.seq),
		Text: text, Kind: kind,
	})
	if err != nil {
		h.t.Fatalf("Handle(%q): %v", text, err)
	}
	return out
}

// start begins an interview and binds its thread, as an adapter would.
func (h *harness) start(user, args, thread string) []bot.Outbound {
	h.t.Helper()
	out := h.msg(user, "", bot.KindCommand, "start "+args)
	if len(out) < 2 || out[0].Where.Kind != bot.NewThread {
		h.t.Fatalf("start replies = %+v, want a NewThread intro and the first question", out)
	}
	key := bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: user}
	if err := h.bot.AttachThread(context.Background(), key, out[0].Session, "C1", thread); err != nil {
		h.t.Fatalf("AttachThread: %v", err)
	}
	return out
}

func texts(out []bot.Outbound) string {
	var parts []string
	for _, o := range out {
		parts = append(parts, o.Text)
	}
	return strings.Join(parts, "\n---\n")
}

const answer = "Because latency matters, I would first pin down the business goal, the number of users and requests per second, the latency budget in milliseconds, the data we already log, privacy constraints, and what is out of scope for the first version so that we can measure success."

func TestHandleFullInterview(t *testing.T) {
	h := newHarness(t)
	sc := h.lib.All()[0]
	out := h.start("u1", sc.ID+" practice", "th1")
	if !strings.Contains(out[0].Text, sc.Title) || !strings.Contains(out[1].Text, "Step 1/7 — Clarify requirements") {
		t.Fatalf("start:\n%s", texts(out))
	}
	var (
		last []bot.Outbound
		at   = -1
	)
	for i := 0; i < 40 && at < 0; i++ {
		last = h.msg("u1", "th1", bot.KindReply, answer)
		at = slices.IndexFunc(last, func(o bot.Outbound) bool { return o.Report != nil })
	}
	if at < 0 {
		t.Fatalf("no report after 40 answers; last replies:\n%s", texts(last))
	}
	report := last[at].Report
	if !strings.Contains(last[at].Text, fmt.Sprintf("Score: %d/100", report.Score)) {
		t.Fatalf("report text lacks the score:\n%s", last[at].Text)
	}
	// The report card, then the reference diagram, follow the report.
	if len(last) != at+3 || last[at+1].Picture == nil || last[at+1].Picture.Kind != bot.PictureReportCard ||
		last[at+2].Picture == nil || last[at+2].Picture.Kind != bot.PictureDiagram || last[at+2].Picture.Scenario != sc.ID {
		t.Fatalf("after the report:\n%s", texts(last[at+1:]))
	}
	if card := last[at+1].Picture.Card; card.Score != report.Score || card.OwnSessions != 1 || card.This[0] != report.Steps[0].Score || card.Own != card.This {
		t.Errorf("report card = %+v, want this session's scores as the average of one", card)
	}
	if alt := last[at+1].Picture.Alt; !strings.Contains(alt, fmt.Sprintf("%d/100", report.Score)) || !strings.Contains(alt, "- Clarify: ") {
		t.Errorf("report card alt text:\n%s", alt)
	}
	st, err := h.store.Stats(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if err != nil || st.Sessions != 1 || st.LastScore != report.Score {
		t.Fatalf("Stats = %+v, %v; want one session scoring %d", st, err, report.Score)
	}
	board := texts(h.msg("u1", "", bot.KindCommand, "leaderboard"))
	if !strings.Contains(board, "1. U1") || !strings.Contains(board, "You: #1") {
		t.Fatalf("leaderboard:\n%s", board)
	}
	me := texts(h.msg("u1", "", bot.KindCommand, "me"))
	if !strings.Contains(me, "1 session completed") || !strings.Contains(me, "Weakest step") {
		t.Fatalf("me:\n%s", me)
	}
	if got := texts(h.msg("u1", "th1", bot.KindReply, "one more thing")); !strings.Contains(got, "ended") {
		t.Fatalf("reply after the end: %q", got)
	}
}

func TestHandleOwnershipAndRouting(t *testing.T) {
	h := newHarness(t)
	h.start("owner", "", "th1")
	tests := []struct {
		name, user, thread string
		kind               bot.InboundKind
		text               string
		want               string // substring of the reply; "" means no reply
		ephemeral          bool
	}{
		{"other user's reply", "intruder", "th1", bot.KindReply, answer, "OWNER's interview", true},
		{"other user's button", "intruder", "th1", bot.KindAction, "hint", "OWNER's interview", true},
		{"chatter in an unrelated thread", "intruder", "elsewhere", bot.KindReply, "hello", "", false},
		{"owner elsewhere", "owner", "elsewhere", bot.KindReply, "hello", "", false},
		{"top-level message without interview", "newbie", "", bot.KindReply, "hi", "No interview is running", false},
		// Typed without "/mlsd" (a DM, the console): with no interview, a
		// short command line runs as the command; longer text does not.
		{"bare help without interview", "newbie", "", bot.KindReply, "help", "ML system design interview coach", true},
		{"bare scenarios without interview", "newbie", "", bot.KindReply, "scenarios", "case studies", true},
		{"an answer-like line is no command", "newbie", "", bot.KindReply, "start with the business goal and latency", "No interview is running", false},
		{"unknown command", "owner", "", bot.KindCommand, "dance", "I don't know the command", true},
		{"second start", "owner", "", bot.KindCommand, "start", "already have an interview running", true},
		{"typo start", "other", "", bot.KindCommand, "start visual-serch", "Did you mean `visual-search`", true},
		{"empty answer", "owner", "th1", bot.KindForm, "   ", "empty", true},
		{"status", "owner", "", bot.KindCommand, "status", "step 1/7", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := h.msg(tt.user, tt.thread, tt.kind, tt.text)
			if tt.want == "" {
				if len(out) != 0 {
					t.Fatalf("want no reply, got:\n%s", texts(out))
				}
				return
			}
			if len(out) == 0 || !strings.Contains(texts(out), tt.want) {
				t.Fatalf("replies:\n%s\nwant %q", texts(out), tt.want)
			}
			if tt.ephemeral && out[0].Where.Kind != bot.Ephemeral {
				t.Fatalf("reply is %v, want ephemeral", out[0].Where.Kind)
			}
		})
	}
	s, err := h.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "owner"})
	if err != nil || s.Step != bot.Clarify || s.Answers[bot.Clarify].Text != "" || s.Answers[bot.Clarify].Hints != 0 {
		t.Fatalf("owner's session changed by others: %+v, %v", s, err)
	}
}

// TestHandleDuplicateDelivery: a redelivered answer is applied once; the
// redelivery gets the same replies again (issue 12-A: the process may have
// died after saving and before replying, so Slack redelivers the event it
// never saw acknowledged, and the user must not be left without a reply).
func TestHandleDuplicateDelivery(t *testing.T) {
	h := newHarness(t)
	h.start("u1", "", "th1")
	in := bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th1", UserID: "u1", MessageID: "dup", Text: answer, Kind: bot.KindReply}
	first, err := h.bot.Handle(context.Background(), in)
	if err != nil || len(first) == 0 {
		t.Fatalf("first delivery: %v, %v", first, err)
	}
	// Each redelivery after the grace (and after the previous one's claim
	// ran out: its process died too) gets the saved replies again.
	for i := 0; i < 3; i++ {
		h.clock.Advance(3 * time.Minute)
		again, err := h.bot.Handle(context.Background(), in)
		if err != nil || texts(again) != texts(first) {
			t.Fatalf("redelivery %d: %v\n%s\nwant the first delivery's replies:\n%s", i, err, texts(again), texts(first))
		}
	}
	s, _ := h.store.ActiveSession(context.Background(), in.User())
	if got := s.Answers[bot.Clarify].Turns; got != 1 {
		t.Fatalf("answer applied %d times", got)
	}
	// A later message applied before the old one's replies went out (the
	// KNOWN GAP of the one-outbox-per-session design: they were lost)
	// leaves them pending: the old message's redelivery still gets them.
	later := in
	later.MessageID, later.Text = "dup-2", "hint"
	if out, err := h.bot.Handle(context.Background(), later); err != nil || len(out) == 0 {
		t.Fatalf("later message: %v, %v", texts(out), err)
	}
	h.clock.Advance(3 * time.Minute)
	if again, err := h.bot.Handle(context.Background(), in); err != nil || texts(again) != texts(first) {
		t.Fatalf("redelivery of an older, unconfirmed message after a later one: %v\n%s\nwant its replies:\n%s", err, texts(again), texts(first))
	}
	// Once the platform took them, a redelivery gets nothing.
	h.bot.Delivered(context.Background(), in, first)
	if again, err := h.bot.Handle(context.Background(), in); err != nil || len(again) != 0 {
		t.Fatalf("redelivery of a delivered message: %v\n%s\nwant nothing", err, texts(again))
	}
}

func TestHandleConcurrentAnswers(t *testing.T) {
	h := newHarness(t)
	h.start("u1", "practice", "th1")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.bot.Handle(context.Background(), bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th1",
				UserID: "u1", MessageID: fmt.Sprintf("c%d", i), Text: fmt.Sprintf("answer number %d because reasons", i), Kind: bot.KindReply})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s, err := h.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	turns := 0
	for _, a := range s.Answers {
		turns += a.Turns
	}
	if turns != 8 || s.Version != 1+1+8 { // created, thread attached, 8 answers
		t.Fatalf("turns %d version %d, want 8 answers each applied once", turns, s.Version)
	}
}

// failingStore is a Store whose every call fails as an unreachable Redis would.
type failingStore struct {
	bot.Store
	down bool
}

func (f *failingStore) FirstDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if f.down {
		return false, fmt.Errorf("dial tcp: %w", bot.ErrUnavailable)
	}
	return f.Store.FirstDelivery(ctx, id, ttl)
}

func (f *failingStore) Save(ctx context.Context, ch bot.Change) error {
	if f.down {
		return fmt.Errorf("i/o timeout: %w", bot.ErrUnavailable)
	}
	return f.Store.Save(ctx, ch)
}

func TestHandleStoreUnavailable(t *testing.T) {
	inner, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	fs := &failingStore{Store: inner}
	h := newHarnessWithStore(t, fs)
	h.start("u1", "", "th1")
	fs.down = true
	out := h.msg("u1", "th1", bot.KindReply, answer)
	if len(out) != 1 || !strings.Contains(out[0].Text, "couldn't save that") || out[0].Where.Kind != bot.Ephemeral {
		t.Fatalf("replies while down:\n%s", texts(out))
	}
	fs.down = false
	out = h.msg("u1", "th1", bot.KindReply, answer)
	if len(out) == 0 || strings.Contains(texts(out), "couldn't save") {
		t.Fatalf("replies after recovery:\n%s", texts(out))
	}
	s, _ := inner.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if s.Answers[bot.Clarify].Turns != 1 {
		t.Fatalf("turns = %d, want exactly the answer sent after recovery", s.Answers[bot.Clarify].Turns)
	}
}

func TestHandleRandomPrefersNewScenarios(t *testing.T) {
	h := newHarness(t)
	done := map[string]bool{}
	// Finish (by skipping) every scenario but one; random must then pick
	// the one not done recently, whatever the random source says.
	for len(done) < h.lib.Len()-1 {
		out := h.msg("u1", "", bot.KindCommand, "start random")
		id := out[1].Question.Scenario
		if done[id] {
			t.Fatalf("random picked %s again while %d scenarios were never done", id, h.lib.Len()-len(done))
		}
		done[id] = true
		for i := 0; i < bot.Steps+3; i++ {
			h.msg("u1", "", bot.KindReply, "skip")
		}
	}
	out := h.msg("u1", "", bot.KindCommand, "start random")
	if id := out[1].Question.Scenario; done[id] {
		t.Fatalf("random picked %s, done recently, over the one never done", id)
	}
}

func TestHandleStaleButton(t *testing.T) {
	h := newHarness(t)
	out := h.start("u1", "", "th1")
	var skip string
	for _, c := range out[1].Choices {
		if strings.HasPrefix(c.Value, "skip") {
			skip = c.Value
		}
	}
	if skip != "skip@1" {
		t.Fatalf("skip button value = %q, want skip@1", skip)
	}
	if got := texts(h.msg("u1", "th1", bot.KindAction, skip)); !strings.Contains(got, "Step 2/7") {
		t.Fatalf("first click: %q", got)
	}
	got := h.msg("u1", "th1", bot.KindAction, skip) // the same button, clicked again later
	if len(got) != 1 || got[0].Where.Kind != bot.Ephemeral || !strings.Contains(got[0].Text, "earlier question") {
		t.Fatalf("stale click: %+v", got)
	}
	s, _ := h.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if s.Step != bot.Frame || s.Answers[bot.Frame].Skipped {
		t.Fatalf("stale click changed the session: step %v, step 2 skipped %v", s.Step, s.Answers[bot.Frame].Skipped)
	}
	if got := texts(h.msg("u1", "th1", bot.KindAction, "end@1")); !strings.Contains(got, "Interview ended") {
		t.Fatalf("End from an old question should still end the interview: %q", got)
	}
}

// lostReplyStore applies Save but reports it failed, as when Redis's reply
// is lost on the way back.
type lostReplyStore struct {
	bot.Store
	lose bool
}

func (l *lostReplyStore) Save(ctx context.Context, ch bot.Change) error {
	if err := l.Store.Save(ctx, ch); err != nil {
		return err
	}
	if l.lose {
		return fmt.Errorf("read tcp: i/o timeout: %w", bot.ErrUnavailable)
	}
	return nil
}

func TestHandleLostSaveReply(t *testing.T) {
	inner, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	ls := &lostReplyStore{Store: inner}
	h := newHarnessWithStore(t, ls)
	h.start("u1", "", "th1")
	ls.lose = true
	out := h.msg("u1", "th1", bot.KindReply, answer)
	if strings.Contains(texts(out), "couldn't save") || len(out) == 0 {
		t.Fatalf("the change landed, but the user was told: %q", texts(out))
	}
	s, _ := inner.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if s.Answers[bot.Clarify].Turns != 1 {
		t.Fatalf("turns = %d, want 1", s.Answers[bot.Clarify].Turns)
	}
}

// TestRetryOfClosingMessage (issue 12-A and 12-E): a platform retry of
// the message that closed the interview (the last answer before the
// report, or `end`) finds no active session. It gets the replies saved
// with that change again (the process may have died before posting the
// report), never a stray "this interview has ended"; a new message after
// the end still gets the usual note.
func TestRetryOfClosingMessage(t *testing.T) {
	for _, closing := range []string{"end", "skip"} {
		t.Run(closing, func(t *testing.T) {
			h := newHarness(t)
			h.start("u1", "", "th1")
			in := bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th1", UserID: "u1", Kind: bot.KindReply}
			var closed []bot.Outbound
			for i := 0; ; i++ {
				in.MessageID, in.Text = fmt.Sprintf("close-%d", i), closing
				out, err := h.bot.Handle(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := h.store.ActiveSession(context.Background(), in.User()); errors.Is(err, bot.ErrNotFound) {
					closed = out // this message closed the session
					break
				}
				if i > 20 {
					t.Fatalf("session still active after %d messages: %s", i, texts(out))
				}
			}
			for i := 0; i < 2; i++ {
				h.clock.Advance(3 * time.Minute) // past the grace, and the previous retry's claim
				again, err := h.bot.Handle(context.Background(), in)
				if err != nil || texts(again) != texts(closed) {
					t.Fatalf("retry %d of the closing message: %v\n%s\nwant the closing replies again:\n%s", i, err, texts(again), texts(closed))
				}
				// The pictures come back as the same descriptions, to be
				// drawn again by the adapter.
				if diff := cmp.Diff(pictures(closed), pictures(again)); diff != "" {
					t.Fatalf("retry %d: pictures differ (-first +retry):\n%s", i, diff)
				}
				// Coverage is not stored with a session: it goes to the store
				// with the completion, and no renderer shows it.
				if diff := cmp.Diff(reports(closed), reports(again), cmpopts.IgnoreFields(bot.Report{}, "Coverage")); diff != "" {
					t.Fatalf("retry %d: reports differ (-first +retry):\n%s", i, diff)
				}
			}
			if closing == "skip" {
				// The session stores its report once: the saved reply keeps a mark.
				bind, err := h.store.Thread(context.Background(), bot.ThreadRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th1"})
				if err != nil {
					t.Fatal(err)
				}
				s, err := h.store.Session(context.Background(), in.User(), bind.SessionID)
				if err != nil {
					t.Fatal(err)
				}
				ob, err := h.store.PendingOutbox(context.Background(), bot.OutboxRef{User: s.User, SessionID: s.ID, MessageID: in.MessageID})
				if err != nil || ob == nil {
					t.Fatalf("PendingOutbox of the closing message = %v, %v; want its saved replies (never delivered here)", ob, err)
				}
				for _, r := range ob.Replies {
					if r.Report != nil {
						t.Errorf("the saved replies hold the report again (%d bytes of text)", len(r.Text))
					}
				}
				if len(reports(closed)) != 1 {
					t.Errorf("the completing message's replies hold %d reports, want 1", len(reports(closed)))
				}
			}
			if closing == "skip" && len(pictures(closed)) != 2 {
				t.Errorf("the completing message's replies hold %d pictures, want the report card and the diagram", len(pictures(closed)))
			}
			in.MessageID = "later"
			if out, err := h.bot.Handle(context.Background(), in); err != nil || len(out) == 0 || texts(out) == texts(closed) {
				t.Fatalf("a new message after the end: %v, %q; want the usual note", err, texts(out))
			}
		})
	}
}

func reports(out []bot.Outbound) []*bot.Report {
	var rs []*bot.Report
	for _, o := range out {
		if o.Report != nil {
			rs = append(rs, o.Report)
		}
	}
	return rs
}

func pictures(out []bot.Outbound) []*bot.Picture {
	var pics []*bot.Picture
	for _, o := range out {
		if o.Picture != nil {
			pics = append(pics, o.Picture)
		}
	}
	return pics
}
