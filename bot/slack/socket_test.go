package slack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
)

// answers are plausible candidate answers for the ETA scenario, by the
// heading prefix of the question they answer.
var answers = map[string]string{
	"Step 1/7": "I'd clarify whether we predict pickup to drop-off, the latency budget (50 ms p99 at 40,000 requests per second), that late arrivals hurt trust more than early ones, and which teams consume the ETA: pricing and dispatch.",
	"Step 2/7": "It's a regression problem: predict trip duration in seconds from origin, destination, the routing engine's estimate and request time. The label is the actual trip time from completed trips.",
	"Step 3/7": "Labels from completed trip logs, cleaned of cancelled trips and broken GPS traces. Features: live traffic speeds per road segment, historical speeds by hour of week, distance, weather, time of day, computed as of request time to avoid leakage.",
	"Step 4/7": "Baseline: the routing engine estimate. Then gradient-boosted trees predicting a correction, with a Huber loss and time-based validation instead of a random split.",
	"Step 5/7": "Offline MAE, MAPE and p90 error on recent held-out weeks against the routing baseline, sliced by city and hour; online an A/B or switchback test on cancellations and conversion.",
	"Step 6/7": "A stateless ETA service with features in an in-memory store, an in-process tree model, fallback to the routing estimate on timeout, canary rollout, horizontal autoscaling.",
	"Step 7/7": "Monitor live MAE and signed error per city against actual durations, GPS feed lag, stale segment speeds, latency and fallback rate; retrain weekly or when error crosses a threshold.",
	"Wrap-up":  "GPS ingestion and speed aggregation break first; partition by region. If error rises, slice by city and check for a map update or a stale feed, then roll back. Later: segment-level models.",
}

func answerFor(title string) string {
	for prefix, a := range answers {
		if strings.HasPrefix(title, prefix) {
			return a
		}
	}
	return "I would measure it and iterate based on data."
}

// headerOf returns the text of a message's header block.
func headerOf(m fakeslack.Message) string {
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		if b.Type == "header" {
			return b.Text.Text
		}
	}
	return ""
}

func (w *world) last(channel, thread string) fakeslack.Message {
	w.t.Helper()
	msgs := w.threadMsgs(channel, thread)
	if len(msgs) == 0 {
		w.t.Fatalf("no bot messages in thread %s", thread)
	}
	return msgs[len(msgs)-1]
}

func (w *world) click(user string, m fakeslack.Message, label string) fakeslack.Envelope {
	w.t.Helper()
	env, err := w.fake.Click(user, m, label)
	if err != nil {
		w.t.Fatal(err)
	}
	return env
}

// TestSocketModeInterview drives a whole interview through the real
// slack-go Socket Mode client and the real bot on a bolt store: /mlsd
// start, answers in the thread, every button, the form modal, a retried
// event, an @mention, a stranger in the thread, ignored noise and a
// disconnect, up to the report in the thread.
func TestSocketModeInterview(t *testing.T) {
	w := newWorld(t, worldOpts{fake: fakeslack.Options{EchoBotMessages: true}})

	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID))
	if ch, _ := w.fake.ChannelInfo(general); !ch.Member {
		t.Fatal("the bot did not join the public channel before starting the interview")
	}
	var roots []fakeslack.Message
	for _, m := range w.fake.Messages() {
		if m.Channel == general && m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			roots = append(roots, m)
		}
	}
	if len(roots) != 1 {
		t.Fatalf("got %d root messages, want the case prompt alone", len(roots))
	}
	thread := roots[0].TS
	if !strings.Contains(roots[0].Text, "ETA") {
		t.Errorf("root message does not show the case prompt: %q", roots[0].Text)
	}
	q := w.last(general, thread)
	if !isQuestion(q) || !strings.HasPrefix(headerOf(q), "Step 1/7") {
		t.Fatalf("first thread message is not the step 1 question: %s", q.Blocks)
	}
	if s := w.session(general, thread); s.Thread != thread || s.Status != bot.Active {
		t.Fatalf("session not bound to the thread: %+v", s)
	}

	// A hint is a button click; it posts the hint and the question stays.
	w.act(1, w.click(alice, q, "Hint"))
	if got := w.last(general, thread); !strings.Contains(got.Text, "Hint 1/2") {
		t.Errorf("after Hint, last message = %q", got.Text)
	}

	// Bob may read but not answer or click in Alice's thread.
	before := w.session(general, thread)
	_, envs := w.fake.UserMessage(bob, general, thread, "I think it's a classification problem")
	w.act(1, envs...)
	w.act(1, w.click(bob, q, "Next"))
	notes := w.ephemerals(bob)
	if len(notes) != 2 || !strings.Contains(notes[0].Text, "Alice's interview") || !strings.Contains(notes[1].Text, "Alice's interview") {
		t.Errorf("bob's notes = %+v, want two \"Alice's interview\" notices", notes)
	}
	if after := w.session(general, thread); after.Version != before.Version {
		t.Errorf("a stranger's message changed the session (version %d → %d)", before.Version, after.Version)
	}

	// Noise in the thread is acknowledged and ignored: the bot's own posts
	// (echoed by the fake all along), another bot, edits, deletions, joins.
	m, envs := w.fake.UserMessage(alice, general, thread, answerFor("Step 1/7"))
	ignoredBefore := w.obs.count("ignored")
	noise := []fakeslack.Envelope{
		w.fake.BotMessage("B0OTHER", general, thread, "I am another bot"),
		w.fake.Edit(m, "edited answer"),
		w.fake.Delete(m),
		w.fake.Join(bob, general),
	}
	w.deliver(noise...)
	if got := w.obs.count("ignored") - ignoredBefore; got < len(noise) {
		t.Errorf("%d of %d noise events were ignored", got, len(noise))
	}
	w.act(1, envs...) // the real answer to step 1

	usedForm, usedRetry, usedMention, usedDisconnect, usedSkip := false, false, false, false, false
	for i := 0; i < 40; i++ {
		q := w.last(general, thread)
		if isReport(q) {
			break
		}
		title := headerOf(q)
		switch {
		case !isQuestion(q):
			t.Fatalf("unexpected last message in the thread: %q", q.Text)
		case strings.Contains(title, "follow-up"):
			w.act(1, w.click(alice, q, "Next"))
		case strings.HasPrefix(title, "Step 2/7") && !usedForm:
			// "Answer in a form" opens a modal; its submission is graded.
			usedForm = true
			views := len(w.fake.Views())
			w.act(1, w.click(alice, q, "Answer in a form"))
			if len(w.fake.Views()) != views+1 {
				t.Fatal("Answer in a form did not open a modal")
			}
			v := w.fake.Views()[views]
			sub, err := w.fake.Submit(alice, v, answerFor(title))
			if err != nil {
				t.Fatal(err)
			}
			w.act(1, sub)
			if s := w.session(general, thread); s.Answers[bot.Frame].Text != answerFor(title) {
				t.Errorf("form answer not recorded for step 2: %q", s.Answers[bot.Frame].Text)
			}
		case strings.HasPrefix(title, "Step 3/7") && !usedRetry:
			// Slack redelivers an event whose ack it missed: graded once.
			usedRetry = true
			_, envs := w.fake.UserMessage(alice, general, thread, answerFor(title))
			w.act(2, envs[0], w.fake.Retry(envs[0]))
			if s := w.session(general, thread); s.Answers[bot.Data].Turns != 1 {
				t.Errorf("a retried answer was graded %d times", s.Answers[bot.Data].Turns)
			}
		case strings.HasPrefix(title, "Step 4/7") && !usedMention:
			// An @mention arrives as app_mention and message: handled once.
			usedMention = true
			_, envs := w.fake.UserMessage(alice, general, thread, "<@U0BOT> "+answerFor(title))
			if len(envs) != 2 {
				t.Fatalf("a mention produced %d events, want 2", len(envs))
			}
			w.act(2, envs...)
			if s := w.session(general, thread); s.Answers[bot.Model].Turns != 1 {
				t.Errorf("an @mention answer was graded %d times", s.Answers[bot.Model].Turns)
			}
		case strings.HasPrefix(title, "Wrap-up 1/3") && !usedSkip:
			usedSkip = true
			w.act(1, w.click(alice, q, "Skip"))
			if next := w.last(general, thread); !strings.HasPrefix(headerOf(next), "Wrap-up 2/3") {
				t.Errorf("Skip on wrap-up 1 led to %q", headerOf(next))
			}
		case strings.HasPrefix(title, "Step 5/7") && !usedDisconnect:
			// Slack recycles the socket mid-interview; the answer sent
			// meanwhile arrives on the new connection.
			usedDisconnect = true
			w.fake.Disconnect("refresh_requested")
			_, envs := w.fake.UserMessage(alice, general, thread, answerFor(title))
			w.act(1, envs...)
			w.fake.WaitConnected(t, 2)
		default:
			_, envs := w.fake.UserMessage(alice, general, thread, answerFor(title))
			w.act(1, envs...)
		}
	}
	if !usedForm || !usedRetry || !usedMention || !usedDisconnect || !usedSkip {
		t.Errorf("the script skipped a check: form=%v retry=%v mention=%v disconnect=%v skip=%v", usedForm, usedRetry, usedMention, usedDisconnect, usedSkip)
	}
	report := w.last(general, thread)
	if !isReport(report) {
		t.Fatalf("the interview did not end with a report: %q", report.Text)
	}
	if !strings.Contains(string(report.Blocks), "Score: ") {
		t.Errorf("report blocks lack the score: %s", report.Blocks)
	}
	s := w.session(general, thread)
	if s.Status != bot.Completed || s.Final == nil {
		t.Fatalf("session after the report: status %s, final %v", s.Status, s.Final != nil)
	}
	if !strings.Contains(string(report.Blocks), fmt.Sprintf("Score: %d/100", s.Final.Score)) {
		t.Errorf("report shows a different score than the store's %d", s.Final.Score)
	}
	// The report card, then the reference diagram, arrive in the thread
	// after the report, uploaded in three steps, with their text
	// alternatives as alt text.
	checkReportPictures(t, w.pictures(general, thread), report.TS, s.Final.Score)
	for _, m := range w.fake.Messages() {
		if m.BotID != "" && m.ThreadTS != thread && m.ThreadTS != "" {
			t.Errorf("a bot message went to thread %s instead of %s: %q", m.ThreadTS, thread, m.Text)
		}
	}
	// Every API method the adapter called is accounted for in the manifest.
	for _, c := range w.fake.Calls() {
		if _, ok := methodScopes[c.Method]; !ok && c.Method != "apps.connections.open" {
			t.Errorf("the adapter calls %s, which methodScopes (and so the manifest) does not cover", c.Method)
		}
	}

	// Home tab: the leaderboard now has Alice.
	w.deliver(w.fake.HomeOpened(alice))
	w.fake.Wait(t, "home tab", func(sn *fakeslack.Snapshot) bool { return sn.Home(alice) != nil })
	home, _ := w.fake.Home(alice)
	if !strings.Contains(string(home), "<@"+alice+">") || !strings.Contains(string(home), "Your stats") {
		t.Errorf("home tab lacks the leaderboard entry or stats: %s", home)
	}
	w.stop()
	if w.ad.Ready() {
		t.Error("Ready() is still true after Run returned")
	}
}

// TestSlackNeverPings checks every message the bot posted during an
// interview whose answers contain Slack's broadcast and mention syntax.
func TestSlackNeverPings(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.fake.AddChannel(fakeslack.Channel{ID: general, Name: "general", Member: true})
	w.act(1, w.fake.SlashCommand(alice, general, "start "+scenarioID+" practice"))
	var thread string
	for _, m := range w.fake.Messages() {
		if m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	// As Slack encodes them: a real @channel, a typed "<!here>", a user mention.
	evil := "<!channel> &lt;!here&gt; <@U999> <!subteam^S1|@oncall> &lt;script&gt; & scale to 40,000 requests per second at 50 ms p99 latency"
	for range 3 {
		_, envs := w.fake.UserMessage(alice, general, thread, evil)
		w.act(1, envs...)
		q := w.last(general, thread)
		if strings.Contains(headerOf(q), "follow-up") {
			w.act(1, w.click(alice, q, "Next"))
		}
	}
	_, envs := w.fake.UserMessage(alice, general, thread, "status")
	w.act(1, envs...)
	// End closes the interview without points.
	q := w.threadMsgs(general, thread)
	for i := len(q) - 1; i >= 0; i-- {
		if isQuestion(q[i]) {
			w.act(1, w.click(alice, q[i], "End"))
			break
		}
	}
	if s := w.session(general, thread); s.Status != bot.Abandoned {
		t.Errorf("after End the session is %s", s.Status)
	}
	for _, m := range w.fake.Messages() {
		if m.BotID == "" {
			continue
		}
		all := m.Text + string(m.Blocks)
		for _, bad := range []string{"<!", "<@", "<#", "<script", "@channel", "@here"} {
			if strings.Contains(all, bad) {
				t.Errorf("bot message contains %q: %s", bad, all)
			}
		}
	}
	if s := w.session(general, thread); !strings.Contains(s.Answers[bot.Clarify].Text, "@channel") {
		t.Errorf("the answer should be stored as readable text, got %q", s.Answers[bot.Clarify].Text)
	}
}

// TestStartNeedsMembership covers /mlsd start where the bot cannot run
// an interview: it tells the user how to fix it and starts nothing.
func TestStartNeedsMembership(t *testing.T) {
	w := newWorld(t, worldOpts{})
	tests := []struct {
		channel string
		want    string
	}{
		{privateRoom, "/invite @mlsd"},
		{"CGONE", "/invite @mlsd"},
		{archived, "archived"},
	}
	for _, tc := range tests {
		t.Run(tc.channel, func(t *testing.T) {
			before := len(w.ephemerals(alice))
			w.deliver(w.fake.SlashCommand(alice, tc.channel, "start"))
			w.fake.Wait(t, "a notice", func(sn *fakeslack.Snapshot) bool {
				n := 0
				for _, m := range sn.Messages() {
					if m.Ephemeral && m.To == alice {
						n++
					}
				}
				return n > before
			})
			notes := w.ephemerals(alice)
			if got := notes[len(notes)-1]; !strings.Contains(got.Text, tc.want) || got.Via != "response_url" {
				t.Errorf("notice = %q via %s, want %q via response_url", got.Text, got.Via, tc.want)
			}
		})
	}
	if _, err := w.store.ActiveSession(t.Context(), bot.UserKey{Platform: bot.Slack, Workspace: teamID, UserID: alice}); err == nil {
		t.Error("a session was started although the bot could not post")
	}
	for _, m := range w.fake.Messages() {
		if !m.Ephemeral {
			t.Errorf("something was posted publicly: %+v", m)
		}
	}
	if !slices.ContainsFunc(strings.Split(w.logs.String(), "\n"), func(l string) bool {
		return strings.Contains(l, "conversations.info failed") && strings.Contains(l, "channel_not_found")
	}) {
		t.Error("no log line for the unreachable channel")
	}
}

// TestDirectMessage: in a DM with the bot, "start" typed as a message
// starts an interview whose thread lives in the DM.
func TestDirectMessage(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.fake.AddChannel(fakeslack.Channel{ID: "DALICE", IM: true, Member: true})
	_, envs := w.fake.UserMessage(alice, "DALICE", "", "start "+scenarioID)
	w.act(1, envs...)
	var root fakeslack.Message
	for _, m := range w.fake.Messages() {
		if m.Channel == "DALICE" && m.BotID != "" && m.ThreadTS == "" {
			root = m
		}
	}
	if root.TS == "" {
		t.Fatal("no interview root in the DM")
	}
	_, envs = w.fake.UserMessage(alice, "DALICE", root.TS, answerFor("Step 1/7"))
	w.act(1, envs...)
	if s := w.session("DALICE", root.TS); s.Answers[bot.Clarify].Turns != 1 {
		t.Errorf("the DM answer was not graded: %+v", s.Answers[bot.Clarify])
	}
}
