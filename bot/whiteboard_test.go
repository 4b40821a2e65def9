package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

func TestFindWhiteboard(t *testing.T) {
	var many strings.Builder
	for i := range 61 {
		fmt.Fprintf(&many, "n%d -> ", i)
	}
	many.WriteString("end")
	tests := []struct {
		name, answer string
		ok           bool
		labels       []string
		text         string // substring of the graded text
		problem      string
		dot          string // substring of the DOT
	}{
		{name: "prose", answer: "I would log features and retrain weekly.", ok: false},
		{name: "arrow in a sentence", answer: "Latency goes up -> users leave, because the page is slow and the whole experience degrades over time for everyone.", ok: false},
		{name: "arrow lines", answer: "Serving:\n- app -> api gateway -> ranker -> feature store\n- ranker -> `model registry` : loads v2\nThen canary.",
			ok: true, labels: []string{"app", "api gateway", "ranker", "feature store", "model registry", "loads v2"}, text: "Then canary.", dot: `label="api gateway"`},
		{name: "dot block", answer: "My design:\n```dot\ndigraph G {\n  feature_store [label=\"Feature store\"];\n  app -> api_gateway -> ranker [label=\"p99 20 ms\"];\n  ranker -> feature_store;\n}\n```\nthat's it",
			ok: true, labels: []string{"feature store", "app", "api gateway", "ranker", "p99 20 ms"}, text: "Diagram: feature store, app, api gateway, ranker, p99 20 ms.", dot: "digraph G {"},
		{name: "bare edges in a dot fence", answer: "```dot\na -> b\n```", ok: true, labels: []string{"a", "b"}, dot: "digraph {\na -> b\n}"},
		{name: "bad dot still found", answer: "```dot\ndigraph { a -> }\n```", ok: true, labels: []string{"a"}, dot: "digraph { a -> }"},
		{name: "1 MB label", answer: "```dot\ndigraph { a [label=\"" + strings.Repeat("x", 1<<20) + "\"] }\n```", ok: true, problem: "it is 1025 KB of DOT; the limit is 200 KB"},
		{name: "too many boxes", answer: many.String(), ok: true, problem: "more than 60 boxes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wb, ok := bot.FindWhiteboard(tt.answer)
			if ok != tt.ok {
				t.Fatalf("FindWhiteboard ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if tt.problem != "" {
				if !strings.Contains(wb.Problem, tt.problem) || wb.DOT != "" {
					t.Errorf("Problem = %q (DOT %d bytes), want %q and no DOT", wb.Problem, len(wb.DOT), tt.problem)
				}
				return
			}
			if wb.Problem != "" {
				t.Fatalf("Problem = %q", wb.Problem)
			}
			if diff := cmp.Diff(tt.labels, wb.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if !strings.Contains(wb.Text, tt.text) || strings.Contains(wb.Text, "```") {
				t.Errorf("graded text %q, want it to contain %q and no fence", wb.Text, tt.text)
			}
			if !strings.Contains(wb.DOT, tt.dot) {
				t.Errorf("DOT %q lacks %q", wb.DOT, tt.dot)
			}
		})
	}
}

// In an interview, a whiteboard is drawn back right after the answer, its
// labels are graded as the answer's words, and a diagram too large to
// draw gets a note while the answer is still graded.
func TestWhiteboardInInterview(t *testing.T) {
	h := newHarness(t)
	sc := h.lib.All()[0]
	h.start("u1", sc.ID+" practice", "th1")
	out := h.msg("u1", "th1", bot.KindReply, "Clarify: users, scale, latency.\n```dot\ndigraph { app -> canary_release -> shadow_traffic }\n```")
	if len(out) < 2 || out[0].Picture == nil || out[0].Picture.Kind != bot.PictureWhiteboard || out[0].Where.Thread != "th1" {
		t.Fatalf("replies %+v, want the whiteboard first, in the thread", out)
	}
	if pic := out[0].Picture; !strings.Contains(pic.DOT, "canary_release") || !strings.Contains(pic.Alt, "canary release, shadow traffic") {
		t.Errorf("whiteboard picture %+v", pic)
	}
	s, err := h.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Answers[bot.Clarify].Text; !strings.Contains(got, "Diagram: app, canary release, shadow traffic.") || strings.Contains(got, "digraph") {
		t.Errorf("graded answer %q, want the labels as words", got)
	}
	// A 1 MB label is refused with the answer-length message, nothing is
	// saved, and the next answer goes on as usual.
	before := s
	out = h.msg("u1", "th1", bot.KindReply, "```dot\ndigraph { a [label=\""+strings.Repeat("x", 1<<20)+"\"] }\n```")
	if len(out) != 1 || out[0].Picture != nil || !strings.Contains(out[0].Text, "too long") {
		t.Fatalf("replies to a 1 MB diagram: %+v", out)
	}
	s, _ = h.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if s.Version != before.Version {
		t.Errorf("a refused answer changed the session")
	}
	// Too many boxes to draw: a one-line note, and the answer is graded.
	var many strings.Builder
	for i := range 70 {
		fmt.Fprintf(&many, "n%d -> ", i)
	}
	many.WriteString("end")
	out = h.msg("u1", "th1", bot.KindReply, "I would monitor drift and latency.\n"+many.String())
	if len(out) < 2 || out[0].Picture != nil || !strings.Contains(out[0].Text, "I couldn't draw your diagram: more than 60 boxes; draw a smaller diagram.") {
		t.Fatalf("replies to a 71-box diagram: %+v", out)
	}
	s, _ = h.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: "u1"})
	if s.Version == before.Version {
		t.Errorf("the answer with an undrawable diagram was not graded")
	}
}

func FuzzFindWhiteboard(f *testing.F) {
	f.Add("app -> api -> ranker")
	f.Add("```dot\ndigraph { a [label=\"x\\\"y\"]; a -> b }\n```")
	f.Add("```dot\n\"unterminated\n```")
	f.Fuzz(func(t *testing.T, answer string) {
		wb, ok := bot.FindWhiteboard(answer)
		if !ok {
			return
		}
		if wb.Problem == "" && wb.DOT == "" {
			t.Fatalf("a whiteboard with neither DOT nor a problem: %+v", wb)
		}
		if len(wb.DOT) > bot.MaxDOTBytes+32 {
			t.Fatalf("DOT of %d bytes accepted", len(wb.DOT))
		}
	})
}
