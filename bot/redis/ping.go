package redis

import (
	"context"
	"fmt"

	"github.com/mlsdbot/mlsd/bot"
)

// Ping checks that Redis answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w: %v", bot.ErrUnavailable, err)
	}
	return nil
}
