package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/clocktest"
)

// TestExportCSV: an admin gets the month's completed interviews as a CSV
// that parses, one row each, names of people who opted out hidden and
// formula-looking names defused; anyone else is told who may.
func TestExportCSV(t *testing.T) {
	store, err := bolt.Open(filepath.Join(t.TempDir(), "mlsd.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clk := clocktest.New(t0)
	lib := builtin(t)
	b, err := bot.New(bot.Config{Store: store, Progress: store, Export: store, Library: lib, Now: clk.Now, Intn: func(int) int { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	seq := 0
	send := func(user, name, thread string, kind bot.InboundKind, text string, admin bool) []bot.Outbound {
		t.Helper()
		seq++
		clk.Advance(time.Minute)
		out, err := b.Handle(ctx, bot.Inbound{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: thread,
			UserID: user, UserName: name, MessageID: "m" + strings.Repeat("x", seq), Text: text, Kind: kind, IsAdmin: admin})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i, who := range []struct{ id, name string }{{"U1", "=HYPERLINK(\"evil\")"}, {"U2", "Grace"}} {
		thread := "th" + who.id
		out := send(who.id, who.name, "", bot.KindCommand, "start "+lib.All()[i].ID, false)
		if err := b.AttachThread(ctx, bot.UserKey{Platform: bot.Slack, Workspace: "T1", UserID: who.id}, out[0].Session, "C1", thread); err != nil {
			t.Fatal(err)
		}
		for range 40 {
			if r := send(who.id, who.name, thread, bot.KindReply, "skip", false); len(r) > 0 && r[len(r)-1].Report != nil {
				break
			}
		}
	}
	send("U2", "Grace", "", bot.KindCommand, "optout", false)

	if out := send("U2", "Grace", "", bot.KindCommand, "export", false); out[0].File != nil || !strings.Contains(out[0].Text, "Only workspace admins and owners") {
		t.Fatalf("a member's export = %+v, want a refusal", out[0])
	}
	out := send("U3", "Admin", "", bot.KindCommand, "export", true)
	f := out[0].File
	if f == nil || out[0].Where.Kind != bot.Ephemeral || f.Type != "text/csv" {
		t.Fatalf("admin export = %+v, want a private CSV", out[0])
	}
	recs, err := csv.NewReader(bytes.NewReader(f.Data)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, f.Data)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(bot.ExportColumns, ",") {
		t.Fatalf("CSV = %q, want a header and two rows", recs)
	}
	if recs[1][2] != `'=HYPERLINK("evil")` || recs[2][2] != "anonymous" || recs[2][1] != "U2" {
		t.Errorf("names = %q, %q: want the formula quoted and the opted-out name hidden", recs[1][2], recs[2][2])
	}
	if out := send("U3", "Admin", "", bot.KindCommand, "export 1999-01", true); out[0].File != nil {
		t.Errorf("an empty month sent a file: %+v", out[0])
	}
}
