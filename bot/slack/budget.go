package slack

import (
	"context"
	"fmt"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// DefaultWorkspaceRate keeps every replica together at 4.5 messages a
// second in a workspace, bursts of 5: at most 276 in any minute, under
// Slack's "several hundred messages per minute" per app and workspace
// (the fakes enforce 300). 1,000 daily posts in one workspace take about
// 3 min 41 s; in ten workspaces, a tenth of that.
var DefaultWorkspaceRate = bot.PerSecond(4.5, 5)

// workspaceBudget waits for the next slot of the workspace's shared
// posting budget, or (hold) holds it for retryAfter after a 429.
func (a *Adapter) workspaceBudget(ctx context.Context, hold bool, retryAfter time.Duration) error {
	a.mu.Lock()
	key := "slack:" + a.team
	a.mu.Unlock()
	rate := a.cfg.WorkspaceRate
	if hold {
		if err := a.cfg.Limiter.Hold(ctx, key, rate, a.cfg.Now().Add(retryAfter)); err != nil {
			a.log.Warn("slack: could not hold the shared posting budget after a 429", "err", err)
			return err
		}
		return nil
	}
	wait, err := a.cfg.Limiter.Reserve(ctx, key, rate, a.cfg.Now())
	if err != nil {
		// Without the shared budget this replica cannot know what the
		// others post; failing the message beats a 429 storm.
		return fmt.Errorf("slack: pacing the message: %w", err)
	}
	return sleepCtx(ctx, wait)
}
