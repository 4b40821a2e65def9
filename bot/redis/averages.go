package redis

import (
	"context"
	"strconv"

	"github.com/mlsdbot/mlsd/bot"
)

var _ bot.TeamAverages = (*Store)(nil)

// StepAverages implements bot.TeamAverages from the workspace aggregate
// team.lua keeps (completions and step-score sums): one HMGET, whatever
// the number of people. The report card calls it once per finished
// interview.
func (s *Store) StepAverages(ctx context.Context, ws bot.Workspace) ([bot.Steps]float64, int, error) {
	var sums [bot.Steps]float64
	fields := []string{"n", "st1", "st2", "st3", "st4", "st5", "st6", "st7"}
	vals, err := s.rdb.HMGet(ctx, s.keys.teamHash(ws), fields...).Result()
	if err != nil {
		return sums, 0, s.fail("step averages", err)
	}
	n, _ := strconv.Atoi(str(vals[0]))
	if n == 0 {
		return sums, 0, nil
	}
	for i := range sums {
		v, _ := strconv.ParseFloat(str(vals[i+1]), 64)
		sums[i] = v / float64(n)
	}
	return sums, n, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
