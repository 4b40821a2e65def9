package storetest

import (
	"fmt"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// exportCases check bot.ExportStore: one row per completed interview, in
// its workspace and month, written once by the completing Save; drills
// add none.
var exportCases = []struct {
	name string
	run  func(f *progressFixture)
}{
	{"ExportRowsOncePerInterview", func(f *progressFixture) {
		ws := f.workspace(1)
		month := t0.Format("2006-01")
		later := t0.AddDate(0, 0, 10) // next month (t0 is the 25th)
		plays := []struct {
			user  string
			at    time.Time
			drill bool
		}{{"U1", t0, false}, {"U2", t0.Add(time.Hour), false}, {"U1", t0.Add(2 * time.Hour), true}, {"U1", later, false}}
		var want []bot.ExportRow
		for i, p := range plays {
			u := f.userIn(ws, p.user)
			s := f.session(u, fmt.Sprintf("s%d", i))
			f.create(s)
			c := completion(s, 40+10*i, 50, p.at)
			c.Mode, c.Band, c.Drill = bot.Practice, bot.BandFor(c.Score), p.drill
			done := next(s, "the end")
			done.Status = bot.Completed
			ch := bot.Change{Session: done, Expected: s.Version, MessageID: f.id(fmt.Sprintf("end%d", i)), Completion: c, TTL: ttl}
			if err := f.s.Save(f.ctx, ch); err != nil {
				f.t.Fatalf("Save(complete %d) = %v", i, err)
			}
			wantErr(f.t, "replay", f.s.Save(f.ctx, ch), bot.ErrNotActive)
			if !p.drill && c.Month == month {
				want = append(want, bot.NewExportRow(u, c))
			}
		}
		e, ok := f.p.(bot.ExportStore)
		if !ok {
			f.t.Fatal("the store does not implement bot.ExportStore")
		}
		got, err := e.ExportRows(f.ctx, ws, month)
		if err != nil {
			f.t.Fatal(err)
		}
		if d := cmp.Diff(want, got, cmpOpts); d != "" {
			f.t.Errorf("ExportRows(%s) (-want +got):\n%s", month, d)
		}
		if other, err := e.ExportRows(f.ctx, f.workspace(2), month); err != nil || len(other) != 0 {
			f.t.Errorf("another workspace's rows = %v, %v; want none", other, err)
		}
		if next, err := e.ExportRows(f.ctx, ws, later.Format("2006-01")); err != nil || len(next) != 1 {
			f.t.Errorf("next month's rows = %d, %v; want 1", len(next), err)
		}
	}},
}
