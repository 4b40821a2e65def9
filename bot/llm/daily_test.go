package llm_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
	"github.com/mlsdbot/mlsd/bot/llm"
	"github.com/mlsdbot/mlsd/bot/llm/llmtest"
	"github.com/mlsdbot/mlsd/bot/schedule"
	"github.com/mlsdbot/mlsd/scenarios"
)

type threadPoster struct {
	mu sync.Mutex
	n  int
}

func (p *threadPoster) Post(_ context.Context, out bot.Outbound) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return "daily-th" + strconv.Itoa(p.n), nil
}

// lightning sends one lightning answer to a fresh daily post and returns
// the private score message; fake nil runs the rubric alone.
func lightning(t *testing.T, fake *llmtest.Server, answer string) string {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	lib, err := scenarios.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.Config{Store: store, Daily: store, Calendar: &schedule.Calendar{}, Library: lib, Now: clk.Now, Intn: func(int) int { return 0 }}
	if fake != nil {
		judge, err := llm.New(llm.Options{BaseURL: fake.BaseURL(), Model: "fake-model"})
		if err != nil {
			t.Fatal(err)
		}
		cfg.AI = &bot.AIJudge{Judge: judge, Model: "fake-model", Ledger: store}
	}
	b, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ch := bot.ChannelRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1"}
	if _, err := b.PostDaily(context.Background(), bot.DailySchedule{Channel: ch}, "2026-12-07", clk.Now(), &threadPoster{}); err != nil {
		t.Fatal(err)
	}
	s, err := store.DailySchedule(context.Background(), ch)
	if err != nil || s.Last == nil {
		t.Fatalf("no daily post: %v", err)
	}
	out, err := b.Handle(context.Background(), bot.Inbound{
		Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: s.Last.Thread, UserID: "u1", UserName: "U1",
		MessageID: "d1", Text: answer, Kind: bot.KindReply,
	})
	if err != nil || len(out) != 1 {
		t.Fatalf("lightning answer: %v, %d replies", err, len(out))
	}
	return out[0].Text
}

var dailyScore = regexp.MustCompile(`Your daily answer: (\d+)/100`)

func scoreOf(t *testing.T, text string) int {
	t.Helper()
	m := dailyScore.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no score in:\n%s", text)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// A lightning answer is read against all seven step rubrics at once: a
// credit for a step's concept (id "model/...") with a real quote counts
// in that step and is marked in the private message.
func TestJudgeReadsLightningAnswers(t *testing.T) {
	const answer = "I would start by asking what a wrong call costs the business and how fast the answer must come back. " +
		"For the model I would begin with a simple tree ensemble over the strongest signals, and only move to something heavier if it clearly pays off. " +
		"I would check it offline on the most recent weeks, then in an experiment, and keep watching its inputs and errors after launch."
	plain := scoreOf(t, lightning(t, nil, answer))
	fake := llmtest.New(t, func(r llmtest.Request) llmtest.Reply {
		var credits []bot.JudgedCredit
		for _, c := range r.Concepts {
			if strings.HasPrefix(c.ID, "model/") && len(credits) < 2 {
				credits = append(credits, endorse(c.ID, "begin with a simple tree ensemble over the strongest signals"))
			}
		}
		return verdict(credits...)
	})
	text := lightning(t, fake, answer)
	if judged := scoreOf(t, text); judged <= plain {
		t.Errorf("lightning score with the AI judge %d, rubric alone %d: the model step's credit should count\n%s", judged, plain, text)
	}
	if !strings.Contains(text, "(AI judge): “begin with a simple tree ensemble over the strongest signals”") {
		t.Errorf("the private message does not mark the AI judge's credit:\n%s", text)
	}
	if asked := fake.Calls(); len(asked) != 1 || len(asked[0].Concepts) < 20 || !strings.HasPrefix(asked[0].Concepts[0].ID, "clarify/") {
		t.Errorf("want one reading with every step's concepts, prefixed by step; got %d readings", len(fake.Calls()))
	}
}
