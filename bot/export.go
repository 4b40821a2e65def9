package bot

import (
	"context"
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
