package redis

import (
	"context"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

var _ bot.TeamAverages = (*Store)(nil)

// maxAverageUsers bounds StepAverages in a large workspace: the average
// of its most active users (by all-time points).
const maxAverageUsers = 1000

// StepAverages implements bot.TeamAverages in two round trips: the users
// of ws from its all-time board, then their stats in one pipeline. The
// report card calls it once per finished interview.
func (s *Store) StepAverages(ctx context.Context, ws bot.Workspace) ([bot.Steps]float64, int, error) {
	var none [bot.Steps]float64
	members, err := s.rdb.ZRevRange(ctx, s.keys.board(ws, bot.AllTime), 0, maxAverageUsers-1).Result()
	if err != nil {
		return none, 0, s.fail("step averages", err)
	}
	if len(members) == 0 {
		return none, 0, nil
	}
	fields := []string{"sessions", "st1", "st2", "st3", "st4", "st5", "st6", "st7"}
	cmds := make([]*goredis.SliceCmd, 0, len(members))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, m := range members {
			_, user, ok := strings.Cut(m, ":") // "<inverted ms>:<user>"
			if !ok {
				continue
			}
			u := bot.UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: user}
			cmds = append(cmds, p.HMGet(ctx, s.keys.stats(u), fields...))
		}
		return nil
	})
	if err != nil {
		return none, 0, s.fail("step averages", err)
	}
	var (
		sums     [bot.Steps]float64
		sessions int
	)
	for _, c := range cmds {
		vals := c.Val()
		n, _ := strconv.Atoi(str(vals[0]))
		if n == 0 {
			continue
		}
		sessions += n
		for i := range sums {
			v, _ := strconv.ParseFloat(str(vals[i+1]), 64)
			sums[i] += v
		}
	}
	if sessions == 0 {
		return none, 0, nil
	}
	for i := range sums {
		sums[i] /= float64(sessions)
	}
	return sums, sessions, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
