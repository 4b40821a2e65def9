package bolt

import (
	"bytes"
	"context"
	"encoding/json"

	"go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

var _ bot.TeamAverages = (*Store)(nil)

// StepAverages implements bot.TeamAverages: the stats of every user of ws
// summed, by a prefix scan of the stats bucket (user keys start with the
// encoded platform and workspace). The report card calls it once per
// finished interview.
func (s *Store) StepAverages(ctx context.Context, ws bot.Workspace) ([bot.Steps]float64, int, error) {
	var (
		sums     [bot.Steps]float64
		sessions int
	)
	prefix := encodeKey(string(ws.Platform), ws.ID)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketStats).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var st bot.Stats
			if err := json.Unmarshal(v, &st); err != nil {
				return err
			}
			sessions += st.Sessions
			for i, t := range st.StepTotals {
				sums[i] += t
			}
		}
		return nil
	})
	if err != nil || sessions == 0 {
		return [bot.Steps]float64{}, 0, err
	}
	for i := range sums {
		sums[i] /= float64(sessions)
	}
	return sums, sessions, nil
}
