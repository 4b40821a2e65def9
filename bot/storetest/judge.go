package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// RunJudgeLedger runs the contract suite of bot.JudgeLedger. newLedger is
// called once per subtest; advance, when not nil, moves the ledger's clock
// (and its server's TTLs) forward, else the expiry cases are skipped.
func RunJudgeLedger(t *testing.T, newLedger func(t *testing.T) (l bot.JudgeLedger, advance func(time.Duration))) {
	t.Helper()
	cases := []struct {
		name       string
		needsClock bool
		run        func(t *testing.T, ctx context.Context, l bot.JudgeLedger, ns string, advance func(time.Duration))
	}{
		{"verdict round trip", false, func(t *testing.T, ctx context.Context, l bot.JudgeLedger, ns string, _ func(time.Duration)) {
			if _, ok, err := l.CachedVerdict(ctx, ns+"-missing"); err != nil || ok {
				t.Fatalf("CachedVerdict of an unknown key = %v, %v; want a miss", ok, err)
			}
			want := []byte(`{"credits":[],"summary":"ok"}`)
			if err := l.CacheVerdict(ctx, ns, want, time.Hour); err != nil {
				t.Fatal(err)
			}
			got, ok, err := l.CachedVerdict(ctx, ns)
			if err != nil || !ok || !bytes.Equal(got, want) {
				t.Fatalf("CachedVerdict = %q, %v, %v; want %q", got, ok, err, want)
			}
		}},
		{"verdict expires", true, func(t *testing.T, ctx context.Context, l bot.JudgeLedger, ns string, advance func(time.Duration)) {
			if err := l.CacheVerdict(ctx, ns, []byte(`{}`), time.Minute); err != nil {
				t.Fatal(err)
			}
			advance(2 * time.Minute)
			if _, ok, err := l.CachedVerdict(ctx, ns); err != nil || ok {
				t.Fatalf("CachedVerdict after its TTL = %v, %v; want a miss", ok, err)
			}
		}},
		{"tokens add up per workspace and day", false, func(t *testing.T, ctx context.Context, l bot.JudgeLedger, ns string, _ func(time.Duration)) {
			ws := bot.Workspace{Platform: bot.Slack, ID: ns}
			other := bot.Workspace{Platform: bot.Discord, ID: ns}
			if n, err := l.JudgeTokens(ctx, ws, "2026-12-07"); err != nil || n != 0 {
				t.Fatalf("JudgeTokens before any = %d, %v; want 0", n, err)
			}
			for i, want := range []int{120, 420} {
				n, err := l.AddJudgeTokens(ctx, ws, "2026-12-07", []int{120, 300}[i], time.Hour)
				if err != nil || n != want {
					t.Fatalf("AddJudgeTokens #%d = %d, %v; want %d", i+1, n, err, want)
				}
			}
			if n, err := l.JudgeTokens(ctx, ws, "2026-12-07"); err != nil || n != 420 {
				t.Fatalf("JudgeTokens = %d, %v; want 420", n, err)
			}
			for _, q := range []struct {
				ws  bot.Workspace
				day string
			}{{ws, "2026-12-08"}, {other, "2026-12-07"}} {
				if n, err := l.JudgeTokens(ctx, q.ws, q.day); err != nil || n != 0 {
					t.Errorf("JudgeTokens(%v, %s) = %d, %v; want 0: counts are per workspace and day", q.ws, q.day, n, err)
				}
			}
		}},
		{"token count expires from its first addition", true, func(t *testing.T, ctx context.Context, l bot.JudgeLedger, ns string, advance func(time.Duration)) {
			ws := bot.Workspace{Platform: bot.Slack, ID: ns}
			if _, err := l.AddJudgeTokens(ctx, ws, "d", 10, time.Hour); err != nil {
				t.Fatal(err)
			}
			advance(50 * time.Minute)
			if _, err := l.AddJudgeTokens(ctx, ws, "d", 10, time.Hour); err != nil {
				t.Fatal(err)
			}
			advance(20 * time.Minute)
			if n, err := l.JudgeTokens(ctx, ws, "d"); err != nil || n != 0 {
				t.Fatalf("JudgeTokens an hour after the first addition = %d, %v; want 0", n, err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, advance := newLedger(t)
			if tc.needsClock && advance == nil {
				t.Skip("ledger has no clock to advance: cannot let a TTL pass without sleeping")
			}
			tc.run(t, context.Background(), l, namespace(t), advance)
		})
	}
}
