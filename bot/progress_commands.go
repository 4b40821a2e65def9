package bot

import "context"

// me answers /mlsd me: today's numbers, then what the coverage says.
func (b *Bot) me(ctx context.Context, in Inbound) ([]Outbound, error) {
	st, err := b.cfg.Store.Stats(ctx, in.User())
	if err != nil {
		return nil, err
	}
	text := MeText(st)
	if b.cfg.Progress != nil {
		p, err := b.cfg.Progress.Progress(ctx, in.User())
		if err != nil {
			return nil, err
		}
		if more := ProgressText(st, p); more != "" {
			text += "\n\n" + more
		}
	}
	return []Outbound{b.ephemeral(in, text)}, nil
}
