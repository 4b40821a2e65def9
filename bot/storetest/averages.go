package storetest

import (
	"fmt"

	"github.com/mlsdbot/mlsd/bot"
)

// averagesCases check bot.TeamAverages for stores that offer it: the
// average step scores of every completed session of one workspace.
func averagesCases() []testCase {
	return []testCase{
		{name: "StepAveragesPerWorkspace", run: func(f *fixture) {
			s := f.s
			if w, ok := s.(*withOptions); ok {
				s = w.Store
			}
			ta, ok := s.(bot.TeamAverages)
			if !ok {
				f.t.Skip("the store does not offer bot.TeamAverages")
			}
			if _, n, err := ta.StepAverages(f.ctx, f.workspace(1)); err != nil || n != 0 {
				f.t.Fatalf("StepAverages of an empty workspace = %d sessions, %v; want 0, nil", n, err)
			}
			var sums [bot.Steps]float64
			done := 0
			for i, u := range []bot.UserKey{f.user("U1"), f.user("U2"), f.user("U1"), f.userIn(f.workspace(2), "U3")} {
				s := f.create(f.session(u, fmt.Sprintf("s%d", i)))
				c := completion(s, 60+i, 60, t0)
				f.finish(s, bot.Completed, c)
				if u.Workspace == f.workspace(1).ID {
					done++
					for j, v := range c.StepScores {
						sums[j] += v
					}
				}
			}
			got, n, err := ta.StepAverages(f.ctx, f.workspace(1))
			if err != nil || n != done {
				f.t.Fatalf("StepAverages = %d sessions, %v; want %d (the other workspace's left out)", n, err, done)
			}
			for j := range sums {
				if want := sums[j] / float64(done); got[j] != want {
					f.t.Errorf("step %d average = %g, want %g", j+1, got[j], want)
				}
			}
		}},
	}
}
