package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ExportRow is one completed interview as the admin's CSV export lists it.
type ExportRow struct {
	UserID     string         `json:"user"`
	UserName   string         `json:"name"`
	SessionID  string         `json:"session"`
	ScenarioID string         `json:"scenario"`
	Mode       Mode           `json:"mode"`
	Score      int            `json:"score"`
	Band       string         `json:"band"`
	StepScores [Steps]float64 `json:"steps"`
	At         time.Time      `json:"at"`
}

// ExportStore keeps one row per completed interview (drills aside), by
// workspace and month (Completion.Month), written in the change that
// counts the completion, and deleted by Forget with the rest of a person.
type ExportStore interface {
	// ExportRows returns a workspace's rows of a month ("2026-11"),
	// oldest first, in a bounded number of round trips.
	ExportRows(ctx context.Context, ws Workspace, month string) ([]ExportRow, error)
}

// NewExportRow is the row the completion of user's interview adds.
func NewExportRow(user UserKey, c *Completion) ExportRow {
	return ExportRow{
		UserID: user.UserID, UserName: c.UserName, SessionID: c.SessionID, ScenarioID: c.ScenarioID,
		Mode: c.Mode, Score: c.Score, Band: c.Band, StepScores: c.StepScores, At: c.At.UTC(),
	}
}

// exportAdminsText says who may export, as each adapter sets IsAdmin.
func exportAdminsText(p Platform) string {
	switch p {
	case Slack:
		return "Only workspace admins and owners can export the workspace's results."
	case Discord:
		return "Only members with the **Manage Server** or **Administrator** permission can export the server's results."
	}
	return "Only admins can export the results."
}

// export answers /mlsd export [YYYY-MM]: the month's completed
// interviews as a CSV, privately, to an admin.
func (b *Bot) export(ctx context.Context, in Inbound, cmd Command) ([]Outbound, error) {
	if b.cfg.Export == nil {
		return []Outbound{b.ephemeral(in, "Exports are not kept by this installation's store.")}, nil
	}
	if !in.IsAdmin && in.Platform != Console {
		return []Outbound{b.ephemeral(in, exportAdminsText(in.Platform))}, nil
	}
	month := b.cfg.Now().In(b.cfg.Location).Format("2006-01")
	if len(cmd.Args) == 1 {
		month = cmd.Args[0]
	}
	ws := Workspace{Platform: in.Platform, ID: in.Workspace}
	rows, err := b.cfg.Export.ExportRows(ctx, ws, month)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("No interview was completed here in %s, so there is nothing to export.", month))}, nil
	}
	anon := map[string]bool{}
	if b.cfg.Progress != nil {
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.UserID
		}
		if anon, err = b.cfg.Progress.Anonymous(ctx, ws, ids); err != nil {
			return nil, err
		}
	}
	data, err := ExportCSV(rows, anon, b.cfg.Location)
	if err != nil {
		return nil, err
	}
	out := b.ephemeral(in, fmt.Sprintf("📄 **Export for %s**: %d completed interview%s, one row each (people who opted out appear as anonymous).", month, len(rows), plural(len(rows))))
	out.File = &File{Name: "mlsd-export-" + month + ".csv", Type: "text/csv", Data: data,
		Alt: fmt.Sprintf("CSV of %d completed interviews in %s", len(rows), month)}
	return []Outbound{out}, nil
}

// ExportColumns are the CSV's header.
var ExportColumns = []string{"date", "user_id", "name", "scenario", "mode", "score", "band",
	"clarify", "frame", "data", "model", "evaluation", "deployment", "monitoring"}

// ExportCSV writes rows as CSV, names of people in anon as "anonymous".
// Names are user text: a leading = + - @ is quoted with ' so a
// spreadsheet never runs one as a formula.
func ExportCSV(rows []ExportRow, anon map[string]bool, loc *time.Location) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(ExportColumns); err != nil {
		return nil, err
	}
	for _, r := range rows {
		name := r.UserName
		if anon[r.UserID] {
			name = "anonymous"
		}
		rec := []string{r.At.In(loc).Format("2006-01-02 15:04"), cellSafe(r.UserID), cellSafe(name), cellSafe(r.ScenarioID),
			string(r.Mode), strconv.Itoa(r.Score), r.Band}
		for _, v := range r.StepScores {
			rec = append(rec, strconv.Itoa(int(v*100+0.5)))
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func cellSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
