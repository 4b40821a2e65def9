package bot

import (
	"context"
	"fmt"
	"strings"
)

// AnonymousName replaces the name of someone who opted out on every board,
// reveal and standings post.
const AnonymousName = "anonymous"

// anonymize replaces the names of opted-out people on boards with
// AnonymousName, asking the store about all of them at once.
func (b *Bot) anonymize(ctx context.Context, ws Workspace, boards ...*Board) error {
	if b.cfg.Progress == nil {
		return nil
	}
	var ids []string
	for _, board := range boards {
		for _, st := range board.Top {
			ids = append(ids, st.UserID)
		}
		if board.Viewer != nil {
			ids = append(ids, board.Viewer.UserID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	anon, err := b.cfg.Progress.Anonymous(ctx, ws, ids)
	if err != nil {
		return err
	}
	for _, board := range boards {
		for i := range board.Top {
			if anon[board.Top[i].UserID] {
				board.Top[i].UserName = AnonymousName
			}
		}
		if v := board.Viewer; v != nil && anon[v.UserID] {
			v.UserName = AnonymousName
		}
	}
	return nil
}

// anonymousAnswers hides the names of opted-out people among daily answers.
func (b *Bot) anonymousAnswers(ctx context.Context, ws Workspace, answers []DailyAnswer) error {
	if b.cfg.Progress == nil || len(answers) == 0 {
		return nil
	}
	ids := make([]string, len(answers))
	for i, a := range answers {
		ids[i] = a.User.UserID
	}
	anon, err := b.cfg.Progress.Anonymous(ctx, ws, ids)
	if err != nil {
		return err
	}
	for i := range answers {
		if anon[answers[i].User.UserID] {
			answers[i].UserName = AnonymousName
		}
	}
	return nil
}

// optOut answers /mlsd optout and /mlsd optin.
func (b *Bot) optOut(ctx context.Context, in Inbound, on bool) ([]Outbound, error) {
	if b.cfg.Progress == nil {
		return []Outbound{b.ephemeral(in, msgNoProgress)}, nil
	}
	if err := b.cfg.Progress.SetAnonymous(ctx, in.User(), on); err != nil {
		return nil, err
	}
	if on {
		return []Outbound{b.ephemeral(in, "Done: you show as _anonymous_ on the leaderboards, the daily reveals and the weekly standings. Your own stats stay; `/mlsd optin` shows your name again.")}, nil
	}
	return []Outbound{b.ephemeral(in, "Done: your name shows on the leaderboards, reveals and standings again. `/mlsd optout` hides it.")}, nil
}

// forgetWarning is the confirmation /mlsd forget me asks for.
const forgetWarning = "⚠️ This deletes **everything MLSD keeps about you in this workspace**: your interviews and drills (a running one too) with your answers, your history and reports, stats, streaks, concept coverage, leaderboard rows, daily answers and settings. The team's anonymous counts stay. It cannot be undone.\n\nTo go ahead, send `/mlsd forget me confirm`."

// forget answers /mlsd forget me [confirm].
func (b *Bot) forget(ctx context.Context, in Inbound, confirmed bool) ([]Outbound, error) {
	if b.cfg.Progress == nil {
		return []Outbound{b.ephemeral(in, msgNoProgress)}, nil
	}
	if !confirmed {
		return []Outbound{b.ephemeral(in, forgetWarning)}, nil
	}
	n, err := b.cfg.Progress.Forget(ctx, in.User())
	if err != nil {
		return nil, err
	}
	b.cfg.Log.Info("forgot a person at their request", "platform", in.Platform, "workspace", in.Workspace)
	return []Outbound{b.ephemeral(in, ForgetText(n))}, nil
}

// ForgetText says what Forget deleted.
func ForgetText(n map[string]int) string {
	var parts []string
	for _, kind := range ForgetKinds() {
		if c := n[kind]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, kind))
		}
	}
	if len(parts) == 0 {
		return "Done: I had nothing stored about you in this workspace."
	}
	return "Done — I deleted everything I kept about you here: " + strings.Join(parts, ", ") + ". The leaderboards now rank without you."
}
