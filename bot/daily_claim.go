package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// Proactive posts (the daily post, its reveal and follow-up, the weekly
// standings) go out once across replicas. A claim (DailyStore.Claim) makes
// one replica the poster; its note (NoteClaim) says, before each message,
// what is about to go out, and right after the platform answers, the id it
// answered with. A replica that takes the claim over after the lease reads
// the note: a part with an id is done, and the part that was on its way
// when the last winner stopped is looked up on the platform (PostFinder)
// before it is posted again. Without the note a winner that died between
// the platform's answer and Finish would have its post repeated.

// postSearchSkew widens a platform search below the noted time, for a
// replica clock that runs ahead of the platform's.
const postSearchSkew = 2 * time.Minute

// claimNote is the progress kept with a claim, as JSON.
type claimNote struct {
	// Data is the work's own state, fixed before its first message (the
	// daily post's case and rotation), so a takeover posts the same thing.
	Data json.RawMessage `json:"data,omitempty"`
	// Sent holds what Post returned for each part that went out, in order
	// ("" for a part given up on).
	Sent []string `json:"sent,omitempty"`
	// Sending is the part about to go out when the note was written, at
	// SendingAt.
	Sending   *Outbound `json:"sending,omitempty"`
	SendingAt time.Time `json:"sending_at,omitzero"`
}

// claimed is a piece of work this replica holds the claim of.
type claimed struct {
	b    *Bot
	key  string
	p    Poster
	log  *slog.Logger
	note claimNote
}

// claimedWork reads the note of key, which the caller has just won.
func (b *Bot) claimedWork(ctx context.Context, key string, p Poster, log *slog.Logger) (*claimed, error) {
	raw, err := b.cfg.Daily.ClaimNote(ctx, key)
	if err != nil {
		return nil, err
	}
	w := &claimed{b: b, key: key, p: p, log: log}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &w.note); err != nil {
			// Posting blind could repeat what the last winner sent; the
			// claim stays until its ttl, and the operator sees why.
			return nil, fmt.Errorf("the progress note of %s is unreadable: %w", key, err)
		}
	}
	return w, nil
}

func (w *claimed) save(ctx context.Context) error {
	raw, err := json.Marshal(w.note)
	if err != nil {
		return err
	}
	return w.b.cfg.Daily.NoteClaim(ctx, w.key, string(raw))
}

// send posts part i of the work (parts go out in order, each once) and
// returns what Post returned for it and whether this call posted it. A
// part that went out before is not posted again; the part that was on its
// way when the last winner stopped is posted again only if the platform
// does not have it. On an error nothing is known to have gone out: the
// claim is left to its lease, and whoever takes it over looks first.
func (w *claimed) send(ctx context.Context, i int, out Outbound) (string, bool, error) {
	if i < len(w.note.Sent) {
		return w.note.Sent[i], false, nil
	}
	out.Key = w.key + "#" + strconv.Itoa(i)
	if prev := w.note.Sending; prev != nil && i == len(w.note.Sent) {
		id, found, err := w.find(ctx, *prev)
		if err != nil {
			return "", false, fmt.Errorf("looking for the post an earlier attempt sent: %w", err)
		}
		if found {
			w.log.Info("daily: an earlier attempt's post went out; not posting it again", "key", prev.Key, "id", id)
			w.sent(ctx, id)
			return id, false, nil
		}
		// It did not go out: post it as it reads now (a reveal counts the
		// answers that came since); the note below replaces the old one.
	}
	w.note.Sending, w.note.SendingAt = &out, w.b.cfg.Now()
	if err := w.save(ctx); err != nil {
		return "", false, fmt.Errorf("noting the post before sending it: %w", err)
	}
	id, err := w.p.Post(ctx, out)
	if err != nil {
		return "", false, err
	}
	w.sent(ctx, id)
	return id, true, nil
}

// find asks the platform whether out went out since it was noted.
func (w *claimed) find(ctx context.Context, out Outbound) (string, bool, error) {
	if out.Picture != nil {
		// Uploads cannot be looked up: a missing diagram beats a doubled one.
		w.log.Warn("daily: an earlier attempt stopped while posting a picture; not posting it again", "key", out.Key)
		return "", true, nil
	}
	pf, ok := w.p.(PostFinder)
	if !ok {
		return "", false, nil
	}
	return pf.FindPost(ctx, out, w.note.SendingAt.Add(-postSearchSkew))
}

// sent notes the platform's id for the part that was on its way, before
// anything else happens: from here on a takeover skips it.
func (w *claimed) sent(ctx context.Context, id string) {
	w.note.Sent = append(w.note.Sent, id)
	w.note.Sending, w.note.SendingAt = nil, time.Time{}
	if err := w.save(ctx); err != nil {
		w.log.Warn("daily: a post went out but its id was not noted; a takeover will look for it on the platform", "key", w.key, "err", err)
	}
}
