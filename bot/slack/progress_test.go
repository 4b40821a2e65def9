package slack

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// TestSlackProgressCommands runs the issue 14 commands through the real
// adapter and slack-go against the fake Slack: a drill in its own thread,
// then history (with the thread's link), report, team, optout and the
// leaderboard, each answered privately.
func TestSlackProgressCommands(t *testing.T) {
	w := newWorld(t, worldOpts{progress: true})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	w.act(1, w.fake.SlashCommand(alice, general, "drill monitoring"))
	var thread string
	for _, m := range w.fake.Messages() {
		if m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	if thread == "" {
		t.Fatal("the drill opened no thread")
	}
	_, envs := w.fake.UserMessage(alice, general, thread, "skip")
	w.act(1, envs...)
	var done bool
	for _, m := range w.threadMsgs(general, thread) {
		done = done || strings.Contains(m.Text, "Drill done")
	}
	if !done {
		t.Fatalf("the drill did not finish in its thread")
	}
	note := func(cmd string) string {
		t.Helper()
		before := len(w.ephemerals(alice))
		w.act(1, w.fake.SlashCommand(alice, general, cmd))
		notes := w.ephemerals(alice)
		if len(notes) != before+1 {
			t.Fatalf("%s: %d private notes, want one more than %d", cmd, len(notes), before)
		}
		return notes[len(notes)-1].Text
	}
	link := "https://app.slack.com/client/" + teamID + "/" + general + "/thread/" + general + "-" + thread
	if h := note("history"); !strings.Contains(h, "drill: Monitoring &amp; infrastructure · 0%") || !strings.Contains(h, link) {
		t.Errorf("history lacks the drill or its thread link %s:\n%s", link, h)
	}
	if r := note("report 1"); !strings.Contains(r, "Drill done") {
		t.Errorf("report 1: %s", r)
	}
	if tm := note("team"); !strings.Contains(tm, "nobody here has finished an interview") {
		t.Errorf("team after a drill only: %s", tm)
	}
	if o := note("optout"); !strings.Contains(o, "anonymous") {
		t.Errorf("optout: %s", o)
	}
	if lb := note("leaderboard all"); !strings.Contains(lb, "anonymous") || strings.Contains(lb, "Alice") {
		t.Errorf("leaderboard after optout:\n%s", lb)
	}
	// The Home tab shows the same progress: misses and plan, recent
	// sessions with their link, the team's aggregate.
	w.deliver(w.fake.HomeOpened(alice))
	w.fake.Wait(t, "home tab", func(sn *fakeslack.Snapshot) bool { return sn.Home(alice) != nil })
	home, _ := w.fake.Home(alice)
	for _, want := range []string{"Where you lose points", "Your recent sessions", "Your team", "drill: Monitoring", "nobody here has finished an interview"} {
		if !strings.Contains(string(home), want) {
			t.Errorf("home tab lacks %q: %s", want, home)
		}
	}
}

// TestHomeDrillButton: after an interview, the Home tab offers a drill of
// the weakest step; clicking it (a click with no channel) opens a DM with
// the bot and runs the drill there.
func TestHomeDrillButton(t *testing.T) {
	w := newWorld(t, worldOpts{progress: true})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	var thread string
	for _, m := range w.fake.Messages() {
		if m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	for range 40 { // skip to the report
		_, envs := w.fake.UserMessage(alice, general, thread, "skip")
		w.act(1, envs...)
		if msgs := w.threadMsgs(general, thread); strings.Contains(msgs[len(msgs)-1].Text, "Score:") {
			break
		}
	}
	w.deliver(w.fake.HomeOpened(alice))
	w.fake.Wait(t, "home tab", func(sn *fakeslack.Snapshot) bool { return sn.Home(alice) != nil })
	env, err := w.fake.ClickHome(alice, "Drill Clarify requirements (2–5 min)")
	if err != nil {
		home, _ := w.fake.Home(alice)
		t.Fatalf("%v\n%s", err, home)
	}
	w.act(1, env)
	dm := "D" + alice
	var drillThread string
	for _, m := range w.fake.Messages() {
		if m.Channel == dm && m.BotID != "" && m.ThreadTS == "" && !m.Ephemeral {
			drillThread = m.TS
		}
	}
	if drillThread == "" {
		t.Fatalf("no drill opened in the DM %s; messages: %+v", dm, w.fake.Messages())
	}
	if msgs := w.threadMsgs(dm, drillThread); len(msgs) == 0 || !strings.Contains(msgs[0].Text, "Clarify requirements") {
		t.Errorf("the DM drill thread does not ask the weakest step: %+v", msgs)
	}
}

// TestSlackExport: an admin's /mlsd export goes to their DM with the bot
// as a CSV through the three-step upload, with a private note where they
// asked; a member is told who may.
func TestSlackExport(t *testing.T) {
	w := newWorld(t, worldOpts{progress: true})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	const admin = "UADMIN"
	w.fake.AddUser(fakeslack.User{ID: admin, Name: "ada", DisplayName: "Ada", IsAdmin: true})
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	var thread string
	for _, m := range w.fake.Messages() {
		if m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	for range 40 {
		_, envs := w.fake.UserMessage(alice, general, thread, "skip")
		w.act(1, envs...)
		if msgs := w.threadMsgs(general, thread); strings.Contains(msgs[len(msgs)-1].Text, "Score:") {
			break
		}
	}
	w.act(1, w.fake.SlashCommand(bob, general, "export"))
	if notes := w.ephemerals(bob); len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Text, "Only workspace admins and owners") {
		t.Fatalf("a member's export: %+v", notes)
	}
	w.act(1, w.fake.SlashCommand(admin, general, "export"))
	var csvFile *fakeslack.File
	for _, m := range w.fake.Messages() {
		for i := range m.Files {
			if m.Channel == "D"+admin && strings.HasSuffix(m.Files[i].Name, ".csv") {
				csvFile = &m.Files[i]
			}
		}
	}
	if csvFile == nil {
		t.Fatalf("no CSV in the admin's DM; messages: %+v", w.fake.Messages())
	}
	recs, err := csv.NewReader(bytes.NewReader(csvFile.Data)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][1] != alice {
		t.Fatalf("CSV %q (%v): want a header and Alice's one row", recs, err)
	}
	if notes := w.ephemerals(admin); len(notes) == 0 || !strings.Contains(notes[len(notes)-1].Text, "Sent to your direct messages") {
		t.Errorf("no private note where the admin asked: %+v", notes)
	}
}
