package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The daily post and its reveal: the reconciler's side of the daily
// challenge, claimed once across replicas.

// DailySchedules returns every channel's daily record, for the reconciler.
func (b *Bot) DailySchedules(ctx context.Context) ([]DailySchedule, error) {
	if b.cfg.Daily == nil {
		return nil, nil
	}
	return b.cfg.Daily.DailySchedules(ctx)
}

// claimKey escapes the parts of an idempotency key so no channel id can
// forge another's key.
var claimEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

// DailyPostKey is the idempotency key of a channel's post for a local date.
func DailyPostKey(ch ChannelRef, date string) string {
	return "daily-post:" + claimEscaper.Replace(string(ch.Platform)) + ":" + claimEscaper.Replace(ch.Workspace) + ":" + claimEscaper.Replace(ch.Channel) + ":" + date
}

// dailyRevealKey is the idempotency key of the reveal of a channel's post.
func dailyRevealKey(ch ChannelRef, date string) string {
	return "daily-reveal:" + claimEscaper.Replace(string(ch.Platform)) + ":" + claimEscaper.Replace(ch.Workspace) + ":" + claimEscaper.Replace(ch.Channel) + ":" + date
}

func revealed(s *DailySchedule) bool {
	return s.Last == nil || s.Last.Revealed || s.RevealedDate >= s.Last.Date
}

// PostDaily posts the channel's challenge for local date, once across
// replicas: it claims DailyPostKey, reveals the previous post if that is
// still pending, picks the next case of the channel's rotation, posts it in
// a new thread through p and records it. It reports whether this call
// posted; false with a nil error means the date is done or another replica
// has it. A failed post leaves the claim to expire after DailyClaimLease,
// so a later tick retries; the claim's note (see claimed) makes the retry
// post the same case, and only if the platform does not already have it.
func (b *Bot) PostDaily(ctx context.Context, s DailySchedule, date string, now time.Time, p Poster) (bool, error) {
	d := b.cfg.Daily
	if d == nil || (s.Last != nil && s.Last.Date >= date) {
		return false, nil
	}
	key := DailyPostKey(s.Channel, date)
	won, err := d.Claim(ctx, key, DailyClaimLease, dailyClaimTTL)
	if err != nil || !won {
		return false, err
	}
	log := b.cfg.Log.With("platform", s.Channel.Platform, "workspace", s.Channel.Workspace, "channel", s.Channel.Channel, "date", date)
	// The caller's snapshot may predate another replica's post.
	switch fresh, err := d.DailySchedule(ctx, s.Channel); {
	case err == nil:
		s = fresh
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	if s.Last != nil && s.Last.Date >= date {
		return false, d.Finish(ctx, key)
	}
	w, err := b.claimedWork(ctx, key, p, log)
	if err != nil {
		return false, err
	}
	var plan dailyPlan
	if w.note.Data != nil {
		// An earlier winner picked the case and may have posted it.
		if err := json.Unmarshal(w.note.Data, &plan); err != nil {
			return false, fmt.Errorf("daily post in %s: the earlier attempt's plan is unreadable: %w", s.Channel, err)
		}
	}
	sc, ok := b.cfg.Library.Get(plan.Scenario)
	if !ok {
		if !revealed(&s) {
			if _, err := b.reveal(ctx, *s.Last, p); err != nil {
				// The reveal goes before the next post. Hold the post back (its
				// claim expires and a later tick retries both) for a while; a
				// reveal that keeps failing must not stop the channel for good.
				if waited, ok := b.lateBy(&s, date, now); ok && waited < dailyRevealPatience {
					return false, fmt.Errorf("reveal of %s before the %s post: %w", s.Last.Date, date, err)
				}
				log.Error("daily: the reveal of the previous post kept failing; posting without it", "previous", s.Last.Date, "err", err)
			}
		}
		var used []string
		sc, used = b.pickDaily(&s)
		plan = dailyPlan{Scenario: sc.ID, Used: used, Zone: b.zoneOf(&s).String(), PostedAt: now}
		if w.note.Data, err = json.Marshal(plan); err != nil {
			return false, err
		}
	}
	post := DailyPost{Channel: s.Channel, Date: date, Zone: plan.Zone, ScenarioID: sc.ID, PostedAt: plan.PostedAt}
	thread, posted, err := w.send(ctx, 0, dailyPostOutbound(sc, &s, post))
	if err != nil {
		return false, fmt.Errorf("daily post in %s: %w", s.Channel, err)
	}
	post.Thread = thread
	if thread == "" {
		log.Warn("daily: the platform returned no thread id; replies to this post cannot be graded")
	}
	// The post is out: finish the claim even if recording fails, so no
	// replica posts it again.
	recErr := d.RecordDailyPost(ctx, post, plan.Used, dailyKeep)
	if err := d.Finish(ctx, key); err != nil && recErr == nil {
		recErr = err
	}
	if recErr != nil {
		return posted, fmt.Errorf("daily post in %s went out but was not recorded: %w", s.Channel, recErr)
	}
	log.Info("daily: posted", "scenario", sc.ID, "thread", thread, "by_this_call", posted)
	return posted, nil
}

// dailyPlan is what a daily post's claim notes before the post goes out,
// so that a replica taking it over posts (or records) the same case.
type dailyPlan struct {
	Scenario string    `json:"scenario"`
	Used     []string  `json:"used"`
	Zone     string    `json:"zone"`
	PostedAt time.Time `json:"posted_at"`
}

// PostRequested serves a pending `/mlsd daily now`: it posts the challenge
// of the request's local date (unless that date is already done) and
// clears the request. A failed post keeps the request for the next tick.
func (b *Bot) PostRequested(ctx context.Context, s DailySchedule, now time.Time, p Poster) (bool, error) {
	if b.cfg.Daily == nil || s.NowRequested.IsZero() {
		return false, nil
	}
	date := s.NowRequested.In(b.zoneOf(&s)).Format(time.DateOnly)
	posted, err := b.PostDaily(ctx, s, date, now, p)
	if err != nil {
		return posted, err
	}
	return posted, b.cfg.Daily.ClearDailyNow(ctx, s.Channel)
}

// lateBy is how long after its scheduled time (or the `/mlsd daily now`
// request) the post of date is being made.
func (b *Bot) lateBy(s *DailySchedule, date string, now time.Time) (time.Duration, bool) {
	if !s.NowRequested.IsZero() {
		return now.Sub(s.NowRequested), true
	}
	loc := b.zoneOf(s)
	day, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil || b.cfg.Calendar == nil {
		return 0, false
	}
	due, err := b.cfg.Calendar.Next(s.Config.Spec, loc, day.Add(-time.Nanosecond))
	if err != nil {
		return 0, false
	}
	return now.Sub(due), true
}

// RevealDaily sends the reveal of the channel's last post when the
// schedule has a reveal time and it has passed; without one the next post
// reveals. It reports whether this call revealed.
func (b *Bot) RevealDaily(ctx context.Context, s DailySchedule, now time.Time, p Poster) (bool, error) {
	if b.cfg.Daily == nil || s.Config.RevealAt == "" || revealed(&s) || s.Last.Thread == "" {
		return false, nil
	}
	due, ok := revealDue(s.Last, s.Config.RevealAt, b.zoneOf(&s))
	if !ok || now.Before(due) {
		return false, nil
	}
	return b.reveal(ctx, *s.Last, p)
}

// revealDue is the first RevealAt local time after the post.
func revealDue(p *DailyPost, revealAt string, loc *time.Location) (time.Time, bool) {
	hm, err := time.Parse("15:04", revealAt)
	if err != nil {
		return time.Time{}, false
	}
	local := p.PostedAt.In(loc)
	for day := 0; day < 2; day++ {
		d := local.AddDate(0, 0, day)
		t := WallTime(d.Year(), d.Month(), d.Day(), hm.Hour(), hm.Minute(), loc)
		if t.After(p.PostedAt) {
			return t, true
		}
	}
	return time.Time{}, false
}

// WallTime is the instant a wall clock in loc shows h:m on the given day.
// A time skipped by a forward DST jump (02:30 on a spring-forward night)
// is read with the offset before the jump, so it lands as far after the
// jump as it was after its start (03:30); a time that occurs twice (01:30
// on a fall-back night) is its first occurrence.
func WallTime(year int, month time.Month, day, h, m int, loc *time.Location) time.Time {
	wall := time.Date(year, month, day, h, m, 0, 0, time.UTC)
	_, before := wall.Add(-24 * time.Hour).In(loc).Zone()
	_, after := wall.Add(24 * time.Hour).In(loc).Zone()
	var best time.Time
	for _, off := range []int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if t.Hour() == h && t.Minute() == m && t.Day() == day && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if best.IsZero() {
		best = wall.Add(-time.Duration(before) * time.Second).In(loc)
	}
	return best
}

// reveal posts, in the thread of prev, how many answered, the top scores
// of those who have not opted out, the reference outline, the reference
// diagram and then the follow-up question on bottlenecks and monitoring.
// It claims dailyRevealKey first, so it runs once across replicas, and
// reports whether this call revealed. The round closes (and the claim is
// finished) only once all of it went out; a replica that takes over a
// reveal whose winner stopped half-way posts only the rest (see claimed).
func (b *Bot) reveal(ctx context.Context, prev DailyPost, p Poster) (bool, error) {
	d := b.cfg.Daily
	key := dailyRevealKey(prev.Channel, prev.Date)
	won, err := d.Claim(ctx, key, DailyClaimLease, dailyClaimTTL)
	if err != nil || !won {
		return false, err
	}
	log := b.cfg.Log.With("platform", prev.Channel.Platform, "workspace", prev.Channel.Workspace, "channel", prev.Channel.Channel, "date", prev.Date)
	w, err := b.claimedWork(ctx, key, p, log)
	if err != nil {
		return false, err
	}
	// The round closes only once the reveal is out: closing it first would
	// lose the reveal for good when the post fails, because every later
	// tick would see the post as revealed. An answer that lands while the
	// reveal is being posted is graded and counted, but not listed in it.
	answers, err := d.DailyAnswers(ctx, prev)
	if err != nil {
		return false, err
	}
	ids := make([]string, len(answers))
	for i, a := range answers {
		ids[i] = a.User.UserID
	}
	opted, err := d.DailyOptedOut(ctx, Workspace{Platform: prev.Channel.Platform, ID: prev.Channel.Workspace}, ids)
	if err != nil {
		return false, err
	}
	if err := b.anonymousAnswers(ctx, Workspace{Platform: prev.Channel.Platform, ID: prev.Channel.Workspace}, answers); err != nil {
		return false, err
	}
	sc, _ := b.cfg.Library.Get(prev.ScenarioID)
	where := Where{Kind: InThread, Channel: prev.Channel.Channel, Thread: prev.Thread}
	parts := []Outbound{{Where: where, Text: revealText(sc, prev, answers, opted)}}
	if sc != nil {
		// The reference diagram under the outline. A picture that cannot
		// be drawn goes out as its text alternative (the adapter's job).
		if d, ok := diagramPicture(sc, where); ok {
			parts = append(parts, d)
		}
		parts = append(parts, Outbound{Where: where, Text: followUpText(sc)})
	}
	posted := false
	var partErr error
	for i, out := range parts {
		_, sent, err := w.send(ctx, i, out)
		posted = posted || sent
		switch {
		case err == nil:
		case i == 0:
			// The claim is left to expire after DailyClaimLease, so a later
			// tick (on any replica) posts the reveal again.
			return false, fmt.Errorf("reveal in %s: %w", prev.Channel, err)
		case out.Picture != nil:
			// Only a failed post of the diagram is left out.
			log.Warn("daily: the reveal's diagram was not posted", "err", err)
			w.sent(ctx, "")
		default:
			// The reveal is out: the round closes without its follow-up
			// rather than holding the channel's next post back.
			partErr = fmt.Errorf("follow-up in %s: %w", prev.Channel, err)
			w.sent(ctx, "")
		}
	}
	// Everything is out: close the round and finish the claim even if
	// closing fails, so no replica reveals it twice.
	closeErr := d.MarkDailyRevealed(ctx, prev)
	if err := d.Finish(ctx, key); err != nil && closeErr == nil {
		closeErr = err
	}
	if closeErr != nil {
		closeErr = fmt.Errorf("reveal in %s went out but the round was not closed: %w", prev.Channel, closeErr)
	}
	if err := errors.Join(partErr, closeErr); err != nil {
		return true, err
	}
	log.Info("daily: revealed", "answers", len(answers), "by_this_call", posted)
	return true, nil
}

// pickDaily picks the channel's next case: a random one not posted since
// the rotation started, starting over (without repeating the last) once
// all have been posted. used is the rotation after the pick.
func (b *Bot) pickDaily(s *DailySchedule) (*Scenario, []string) {
	all := b.cfg.Library.All()
	var used []string
	for _, id := range s.Used {
		if _, ok := b.cfg.Library.Get(id); ok && !slices.Contains(used, id) {
			used = append(used, id)
		}
	}
	var fresh []*Scenario
	for _, sc := range all {
		if !slices.Contains(used, sc.ID) {
			fresh = append(fresh, sc)
		}
	}
	if len(fresh) == 0 {
		used = nil
		for _, sc := range all {
			if len(all) == 1 || s.Last == nil || sc.ID != s.Last.ScenarioID {
				fresh = append(fresh, sc)
			}
		}
	}
	sc := fresh[b.cfg.Intn(len(fresh))]
	return sc, append(used, sc.ID)
}

func dailyPostOutbound(sc *Scenario, s *DailySchedule, post DailyPost) Outbound {
	var t strings.Builder
	fmt.Fprintf(&t, "🗓 **Daily ML system design challenge — %s** (%s", sc.Title, sc.Difficulty)
	if len(sc.Tags) > 0 {
		fmt.Fprintf(&t, " · %s", strings.Join(sc.Tags, ", "))
	}
	fmt.Fprintf(&t, ")\n\n%s\n\n**How to take part**\n", strings.TrimSpace(sc.Prompt))
	t.WriteString("- **Lightning answer:** reply in this thread (or press **Answer privately**) with a short approach — a few sentences from requirements and data through model, evaluation, serving and monitoring. I grade it against the whole rubric and show the score only to you; your first answer counts for the leaderboard and your streak.\n")
	t.WriteString("- **Full interview:** press **Start the full interview** or type `/mlsd start daily` for the 7-step mock interview on this case.\n\n")
	if s.Config.RevealAt != "" {
		fmt.Fprintf(&t, "_Reveal — participants, top scores, the reference outline and a follow-up question — at %s (%s)._", s.Config.RevealAt, post.Zone)
	} else {
		t.WriteString("_Reveal — participants, top scores, the reference outline and a follow-up question — with the next challenge._")
	}
	return Outbound{
		Where: Where{Kind: NewThread, Channel: post.Channel.Channel},
		Text:  t.String(),
		Choices: []Choice{
			{Label: "Answer privately", Value: DailyAnswerAction, Kind: ChoiceForm, Primary: true},
			{Label: "Start the full interview", Value: DailyStartAction},
		},
	}
}

func revealText(sc *Scenario, prev DailyPost, answers []DailyAnswer, opted map[string]bool) string {
	var t strings.Builder
	title := prev.ScenarioID
	if sc != nil {
		title = sc.Title
	}
	fmt.Fprintf(&t, "🔎 **Reveal — %s** (daily challenge of %s)\n\n", title, prev.Date)
	switch n := len(answers); n {
	case 0:
		t.WriteString("Nobody answered this one.\n")
	case 1:
		t.WriteString("**1 person** answered.\n")
	default:
		fmt.Fprintf(&t, "**%d people** answered.\n", n)
	}
	shown, hidden := 0, 0
	for _, a := range answers {
		if opted[a.User.UserID] {
			hidden++
			continue
		}
		if shown == maxTopScores {
			continue
		}
		if shown == 0 {
			t.WriteString("\n**Top scores**\n")
		}
		shown++
		fmt.Fprintf(&t, "%d. %s — %d/100\n", shown, nameOr(a.UserName, a.User.UserID), a.Score)
	}
	if hidden > 0 {
		fmt.Fprintf(&t, "_%d %s private._\n", hidden, map[bool]string{true: "person keeps their score", false: "people keep their scores"}[hidden == 1])
	}
	if sc != nil {
		t.WriteString("\n**Reference outline**\n")
		for step := Clarify; step <= Monitoring; step++ {
			if spec := sc.Spec(step); spec != nil && strings.TrimSpace(spec.Outline) != "" {
				fmt.Fprintf(&t, "\n_Step %d — %s_\n%s\n", int(step), step.Title(), strings.TrimSpace(spec.Outline))
			}
		}
	}
	return strings.TrimRight(t.String(), "\n")
}

func followUpText(sc *Scenario) string {
	return fmt.Sprintf("🧭 **Follow-up — bottlenecks and monitoring** (%s)\n\n1. %s\n2. %s\n\nReply in this thread — I'll grade your answer and show the score only to you.",
		sc.Title, strings.TrimSpace(sc.WrapUp.Bottleneck.Question), strings.TrimSpace(sc.WrapUp.Monitoring.Question))
}
