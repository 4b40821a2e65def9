package bot

import (
	"fmt"
	"strings"
)

// progressPicture is the /mlsd me chart: session scores over time, oldest
// first, and the weakest step's score in the same sessions. It needs two
// sessions to show a trend.
func progressPicture(st Stats, where Where) (Outbound, bool) {
	n := len(st.Scores)
	if n < 2 {
		return Outbound{}, false
	}
	weakest, _ := weakestStep(st)
	chart := &ProgressChart{Weakest: shortStepNames[weakest-1]}
	var scores, steps []string
	for i := n - 1; i >= 0; i-- {
		p := st.Scores[i]
		label := p.Day
		if len(label) == len("2006-01-02") {
			label = label[5:]
		}
		chart.Labels = append(chart.Labels, label)
		chart.Scores = append(chart.Scores, p.Score)
		chart.Step = append(chart.Step, p.Steps[weakest-1])
		scores = append(scores, fmt.Sprintf("%s %d", label, p.Score))
		steps = append(steps, percent(p.Steps[weakest-1]))
	}
	alt := fmt.Sprintf("Your last %d interview scores, oldest first: %s.\nWeakest step, %s: %s.",
		n, strings.Join(scores, ", "), weakest.Title(), strings.Join(steps, ", "))
	return Outbound{
		Where:   where,
		Text:    fmt.Sprintf("**Your scores over time** — and %s, your weakest step", weakest.Title()),
		Picture: &Picture{Kind: PictureProgress, Name: "progress.png", Alt: alt, Progress: chart},
	}, true
}
