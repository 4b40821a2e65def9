package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// Replies in a daily thread: lightning answers before the reveal,
// follow-up answers after it, and their private score messages.

// dailyReply handles a message in a daily thread: a lightning answer
// before the reveal, a follow-up answer after it. ok is false when the
// thread is not a daily thread.
func (b *Bot) dailyReply(ctx context.Context, log *slog.Logger, in Inbound) (out []Outbound, ok bool, err error) {
	if b.cfg.Daily == nil || (in.Kind != KindReply && in.Kind != KindForm) || (in.Thread == "" && in.Kind != KindForm) {
		return nil, false, nil
	}
	post, found, err := b.dailyPostOf(ctx, in)
	if err != nil || !found {
		return nil, found, err
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return []Outbound{b.ephemeral(in, msgEmpty)}, true, nil
	}
	if n := len([]rune(text)); n > MaxAnswerRunes {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("That answer is too long (%d characters; the limit is %d). Please shorten it and send it again — nothing was counted.", n, MaxAnswerRunes))}, true, nil
	}
	sc, found := b.cfg.Library.Get(post.ScenarioID)
	if !found {
		return []Outbound{b.ephemeral(in, "The case of this challenge is no longer installed, so I can't grade answers to it.")}, true, nil
	}
	if post.Revealed {
		judged, note := b.readDaily(ctx, log, in, sc, "Daily challenge follow-up (bottlenecks and monitoring)", "1. "+strings.TrimSpace(sc.WrapUp.Bottleneck.Question)+" 2. "+strings.TrimSpace(sc.WrapUp.Monitoring.Question), followUpParts(sc), text)
		g := GradeFollowUpJudged(sc, text, judged)
		log.Info("daily: follow-up graded", "channel", in.Channel, "date", post.Date, "score", g.Score)
		return []Outbound{b.ephemeral(in, followUpGradeText(g, note))}, true, nil
	}
	var judged []*Judgment
	note := ""
	if len(strings.Fields(text)) >= LightningCountWords { // too short to count is not worth a call
		judged, note = b.readDaily(ctx, log, in, sc, "Daily challenge lightning answer (the whole design in a few sentences)", lightningQuestion, lightningParts(sc), text)
	}
	g := GradeLightningJudged(sc, text, judged)
	if g.Words < LightningCountWords {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("That's too short to count (%d words). Reply with a few sentences on your approach — requirements, data, model, evaluation, serving, monitoring — %d words or more; only you will see the score.", g.Words, LightningCountWords))}, true, nil
	}
	now := b.cfg.Now()
	at := now.In(b.cfg.Location)
	zone := time.UTC
	if loc, err := b.zones.Load(post.Zone); err == nil {
		zone = loc
	}
	a := DailyAnswer{
		User: in.User(), UserName: in.UserName, Score: g.Score, Points: DailyPoints(g.Score, sc.Difficulty),
		At: now, Week: ISOWeek(at), Month: at.Format("2006-01"), Day: now.In(zone).Format(time.DateOnly),
	}
	counted, first, err := b.cfg.Daily.RecordDailyAnswer(ctx, post, a, dailyKeep)
	if err != nil {
		return nil, true, err
	}
	var st *Stats
	if first {
		if s, err := b.cfg.Store.Stats(ctx, in.User()); err == nil {
			st = &s
		}
	}
	log.Info("daily: lightning answer", "channel", in.Channel, "date", post.Date, "score", g.Score, "counted", first)
	return []Outbound{b.ephemeral(in, lightningText(g, first, counted, st, note))}, true, nil
}

// dailyPostOf finds the daily post a message answers: the one whose thread
// it is in, or — for a form sent from the post itself, outside its thread
// — the channel's latest post.
func (b *Bot) dailyPostOf(ctx context.Context, in Inbound) (DailyPost, bool, error) {
	if in.Thread != "" {
		post, err := b.cfg.Daily.DailyThread(ctx, ThreadRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel, Thread: in.Thread})
		switch {
		case err == nil:
			return post, true, nil
		case !errors.Is(err, ErrNotFound):
			return DailyPost{}, false, err
		}
		if in.Kind != KindForm {
			return DailyPost{}, false, nil
		}
	}
	s, err := b.cfg.Daily.DailySchedule(ctx, ChannelRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel})
	if errors.Is(err, ErrNotFound) || err == nil && (s.Last == nil || s.Last.Thread == "") {
		return DailyPost{}, false, nil
	}
	if err != nil {
		return DailyPost{}, false, err
	}
	// The channel record's copy may lag the binding's revealed flag.
	post, err := b.cfg.Daily.DailyThread(ctx, s.Last.Ref())
	if errors.Is(err, ErrNotFound) {
		return DailyPost{}, false, nil
	}
	return post, err == nil, err
}

// dailyAnswerForm answers the "Answer privately" button with the form.
func (b *Bot) dailyAnswerForm(ctx context.Context, in Inbound) ([]Outbound, error) {
	if b.cfg.Daily == nil {
		return []Outbound{b.ephemeral(in, msgDailyOff)}, nil
	}
	form := in
	form.Kind = KindForm // resolve as the submission will be
	post, found, err := b.dailyPostOf(ctx, form)
	if err != nil {
		return nil, err
	}
	if !found {
		return []Outbound{b.ephemeral(in, "This daily challenge is no longer open.")}, nil
	}
	title, label := "Daily challenge — your approach", "Your approach (only you see the score)"
	if post.Revealed {
		title, label = "Daily challenge — follow-up", "Bottlenecks and monitoring"
	}
	return []Outbound{{
		Where: Where{Kind: Ephemeral, Channel: in.Channel, Thread: in.Thread, User: in.UserID},
		Text:  "Write your answer in the form.",
		Form:  &Form{Title: title, Label: label, MaxLength: FormMaxLength, Context: post.Thread},
	}}, nil
}

func lightningText(g LightningGrade, first bool, counted DailyAnswer, st *Stats, note string) string {
	var t strings.Builder
	if first {
		fmt.Fprintf(&t, "⚡ **Your daily answer: %d/100** — +%s leaderboard points", g.Score, formatPoints(counted.Points))
		if st != nil && st.Streak > 0 {
			fmt.Fprintf(&t, " · streak %d day%s (best %d)", st.Streak, plural(st.Streak), st.BestStreak)
		}
		t.WriteString(".\n")
	} else {
		fmt.Fprintf(&t, "⚡ This answer would score **%d/100**, but your first answer (%d/100) is the one that counts.\n", g.Score, counted.Score)
	}
	for i, c := range g.Credit {
		step := StepID(i + 1)
		fmt.Fprintf(&t, "`%s` %d. %s\n", Bar(c, 10), int(step), step.Title())
	}
	writeEarnedAndAdd(&t, g.Steps[:], g.Credit[:])
	if g.TooShort {
		fmt.Fprintf(&t, "- ! too short (%d words; aim for %d+)\n", g.Words, LightningMinWords)
	}
	if g.KeywordList {
		fmt.Fprintf(&t, "- ! reads like a keyword list (capped at %d%%)\n", pct(rubric.KeywordListCap))
	}
	if g.NoJustification {
		fmt.Fprintf(&t, "- ! no reasoning cue: say why, not just what (−%d%%)\n", pct(rubric.NoJustificationPenalty))
	}
	writeFlags(&t, g.RedFlags)
	writeNote(&t, note)
	t.WriteString("_Only you can see this. The reference outline comes with the reveal._")
	return t.String()
}

func followUpGradeText(g FollowUpGrade, note string) string {
	var t strings.Builder
	fmt.Fprintf(&t, "🧭 **Your follow-up answer: %d/100**\n", g.Score)
	for i := range g.Parts {
		fmt.Fprintf(&t, "`%s` %s\n", Bar(g.Credit[i], 10), WrapUpPartTitle(i))
	}
	writeEarnedAndAdd(&t, g.Parts[:], g.Credit[:])
	if g.TooShort {
		fmt.Fprintf(&t, "- ! too short (%d words; aim for %d+)\n", g.Words, FollowUpMinWords)
	}
	writeFlags(&t, g.RedFlags)
	writeNote(&t, note)
	t.WriteString("_Only you can see this; follow-up answers are for practice and earn no points._")
	return t.String()
}

// writeEarnedAndAdd writes, one line each, what earned points (quoted,
// the case's own ideas first, at most maxEarnedLines) and the one thing to
// add: the heaviest idea of the case the weakest part missed.
func writeEarnedAndAdd(t *strings.Builder, grades []rubric.StepGrade, credit []float64) {
	var earned []rubric.Match
	for _, caseFirst := range []bool{true, false} {
		for _, g := range grades {
			for _, m := range g.Matches {
				if len(earned) < maxEarnedLines && (m.Case && !m.Generic) == caseFirst &&
					!slices.ContainsFunc(earned, func(x rubric.Match) bool { return x.Concept == m.Concept }) {
					earned = append(earned, m)
				}
			}
		}
	}
	for _, m := range earned {
		fmt.Fprintf(t, "- ✓ Earned — %s%s: “%s”\n", m.Label, sourceMark(m.Source), m.Evidence)
	}
	weakest := -1
	for i, g := range grades {
		if !slices.ContainsFunc(g.Missing, func(c rubric.Concept) bool { return c.Important || c.Weight >= 2 }) {
			continue
		}
		if weakest < 0 || credit[i] < credit[weakest] {
			weakest = i
		}
	}
	if weakest >= 0 {
		for _, c := range grades[weakest].Missing { // heaviest first
			if c.Important || c.Weight >= 2 {
				fmt.Fprintf(t, "- ➕ To add — %s\n", c.StudyQuestion())
				break
			}
		}
	}
}

// lightningQuestion is what the daily post asks of a lightning answer.
const lightningQuestion = "A short approach, a few sentences from requirements and data through model, evaluation, serving and monitoring."

// sourceMark says who credited a concept, when the AI judge took part.
func sourceMark(source string) string {
	switch source {
	case rubric.SourceJudge:
		return " (AI judge)"
	case rubric.SourceBoth:
		return " (rubric + AI judge)"
	}
	return ""
}

// writeNote adds why the AI judge did not read the reply, if it did not.
func writeNote(t *strings.Builder, note string) {
	if note != "" {
		fmt.Fprintf(t, "- ! %s\n", note)
	}
}

// writeFlags quotes each red flag of a daily reply.
func writeFlags(t *strings.Builder, flags []rubric.Flag) {
	for _, f := range flags {
		fmt.Fprintf(t, "- ! red flag — %s: “%s”\n", f.Label, f.Evidence)
	}
}

// dailyScenario resolves `/mlsd start daily`: the case of the daily thread
// the command or button came from, else the channel's latest post.
func (b *Bot) dailyScenario(ctx context.Context, in Inbound) (*Scenario, string, error) {
	if b.cfg.Daily == nil {
		return nil, msgDailyOff + " Start any case with `/mlsd start random`.", nil
	}
	id := ""
	if in.Thread != "" {
		post, err := b.cfg.Daily.DailyThread(ctx, ThreadRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel, Thread: in.Thread})
		switch {
		case err == nil:
			id = post.ScenarioID
		case !errors.Is(err, ErrNotFound):
			return nil, "", err
		}
	}
	if id == "" {
		s, err := b.cfg.Daily.DailySchedule(ctx, ChannelRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, "", err
		}
		if s.Last == nil {
			return nil, "No daily challenge has been posted in this channel yet. `/mlsd start random` picks a case for you.", nil
		}
		id = s.Last.ScenarioID
	}
	sc, ok := b.cfg.Library.Get(id)
	if !ok {
		return nil, "Today's case is no longer installed. `/mlsd start random` picks another.", nil
	}
	return sc, "", nil
}
