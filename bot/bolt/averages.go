package bolt

import (
	"context"
	"errors"

	"go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

var _ bot.TeamAverages = (*Store)(nil)

// StepAverages implements bot.TeamAverages from the workspace aggregate
// (teamRecord, updated in each completing transaction): one read,
// whatever the number of people. The report card calls it once per
// finished interview.
func (s *Store) StepAverages(ctx context.Context, ws bot.Workspace) ([bot.Steps]float64, int, error) {
	var t teamRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketTeams), teamKey(ws), &t)
	})
	if errors.Is(err, bot.ErrNotFound) || err == nil && t.Sessions == 0 {
		return [bot.Steps]float64{}, 0, nil
	}
	if err != nil {
		return [bot.Steps]float64{}, 0, err
	}
	var avg [bot.Steps]float64
	for i, v := range t.StepTotals {
		avg[i] = v / float64(t.Sessions)
	}
	return avg, t.Sessions, nil
}
