package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/clocktest"
)

// recordingPoster is a platform that accepts every post and remembers it.
type recordingPoster struct {
	mu    sync.Mutex
	posts []bot.Outbound
}

func (p *recordingPoster) Post(_ context.Context, out bot.Outbound) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, out)
	return out.Where.Thread, nil
}

func (p *recordingPoster) take() []bot.Outbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.posts
	p.posts = nil
	return out
}

// TestOutboxSavedRepliesDeliveredByNextProcess (issue 12 defect A): the
// process saves an answer with its replies and dies before posting them
// (the event was already acknowledged, so the platform never redelivers
// it). The next process's sweeper posts them, once, after the grace; a
// second sweep and a late redelivery post nothing. Replies the live
// process confirmed are never posted again.
func TestOutboxSavedRepliesDeliveredByNextProcess(t *testing.T) {
	eachStore(t, func(t *testing.T, store bot.Store) {
		ctx := context.Background()
		h := newHarnessWithStore(t, store)
		h.start("lost", "", "th-lost")
		h.start("fine", "", "th-fine")
		lost := bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th-lost", UserID: "lost", MessageID: "a-lost", Text: answer, Kind: bot.KindReply}
		saved, err := h.bot.Handle(ctx, lost)
		if err != nil || len(saved) == 0 {
			t.Fatalf("answer: %v, %v", texts(saved), err)
		}
		// ...and the process dies here: no post, no Delivered.
		fine := lost
		fine.UserID, fine.Thread, fine.MessageID = "fine", "th-fine", "a-fine"
		outs, err := h.bot.Handle(ctx, fine)
		if err != nil || len(outs) == 0 {
			t.Fatalf("answer: %v, %v", texts(outs), err)
		}
		h.bot.Delivered(ctx, fine, outs) // this one went out

		// The next process, on the same store.
		clk := clocktest.New(h.clock.Now())
		next, err := bot.New(bot.Config{Store: store, Library: h.lib, Now: clk.Now, Intn: func(int) int { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		p := &recordingPoster{}
		posters := func(pl bot.Platform) bot.Poster {
			if pl == bot.Slack {
				return p
			}
			return nil
		}
		sweep := func() []bot.Outbound {
			t.Helper()
			if _, err := next.RunOutbox(ctx, clk.Now(), posters); err != nil {
				t.Fatalf("RunOutbox: %v", err)
			}
			return p.take()
		}
		if got := sweep(); len(got) != 0 {
			t.Fatalf("sweep inside the grace posted %s, want nothing (a live handler may still be posting)", texts(got))
		}
		clk.Advance(bot.DefaultOutboxGrace + time.Second)
		got := sweep()
		if texts(got) != texts(saved) {
			t.Fatalf("sweep after the grace posted:\n%s\nwant the lost answer's replies, once:\n%s", texts(got), texts(saved))
		}
		for _, o := range got {
			if o.Where.Thread != "th-lost" {
				t.Fatalf("reply posted in thread %q, want th-lost: %+v", o.Where.Thread, o)
			}
		}
		clk.Advance(time.Hour)
		if got := sweep(); len(got) != 0 {
			t.Fatalf("second sweep posted %s, want nothing", texts(got))
		}
		// A late platform redelivery of the answer finds it delivered.
		if again, err := next.Handle(ctx, lost); err != nil || len(again) != 0 {
			t.Fatalf("redelivery after the sweep: %v\n%s\nwant nothing", err, texts(again))
		}
	})
}

// TestOutboxRedeliveryAfterDelivery: a redelivered answer gets its saved
// replies again only while they are pending, once the grace a live
// handler has to post them is over, and only if the sweeper does not hold
// them: the redelivery and the sweeper never both send them (a Slack HTTP
// retry storm after a kill -9 sent 63 to 84 of 150 replies twice before).
func TestOutboxRedeliveryAfterDelivery(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.start("u1", "", "th1")
	in := bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "th1", UserID: "u1", MessageID: "m-a", Text: answer, Kind: bot.KindReply}
	first, err := h.bot.Handle(ctx, in)
	if err != nil || len(first) == 0 {
		t.Fatalf("answer: %v, %v", texts(first), err)
	}
	if again, err := h.bot.Handle(ctx, in); err != nil || len(again) != 0 {
		t.Fatalf("redelivery inside the grace: %v\n%s\nwant nothing (the live handler may still be posting)", err, texts(again))
	}
	h.clock.Advance(bot.DefaultOutboxGrace + time.Second)
	again, err := h.bot.Handle(ctx, in)
	if err != nil || texts(again) != texts(first) {
		t.Fatalf("redelivery while pending: %v\n%s\nwant the replies again", err, texts(again))
	}
	if dup, err := h.bot.Handle(ctx, in); err != nil || len(dup) != 0 {
		t.Fatalf("second redelivery while the first holds the replies: %v\n%s\nwant nothing", err, texts(dup))
	}
	posts := &recordingPoster{}
	if n, err := h.bot.RunOutbox(ctx, h.clock.Now(), func(bot.Platform) bot.Poster { return posts }); err != nil || n != 0 {
		t.Fatalf("sweep while a redelivery holds the replies: posted %d (%v), want 0", n, err)
	}
	h.bot.Delivered(ctx, in, again)
	h.clock.Advance(3 * time.Minute)
	if again, err := h.bot.Handle(ctx, in); err != nil || len(again) != 0 {
		t.Fatalf("redelivery after delivery: %v\n%s\nwant nothing", err, texts(again))
	}
}
