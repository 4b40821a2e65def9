package bot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// maxMissedShown is how many of the most-missed concepts /mlsd me lists.
const maxMissedShown = 5

// trendLength is how many of the latest scores the weakest step's trend shows.
const trendLength = 5

// MostMissed returns the concept tracks missed at least once in their
// window, most often first; equally often missed ones rank important
// concepts, then heavier ones, first.
func MostMissed(tracks []ConceptTrack, limit int) []ConceptTrack {
	var out []ConceptTrack
	for _, t := range tracks {
		if !t.IsFlag() && t.Misses() > 0 {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, compareMissed)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func compareMissed(a, b ConceptTrack) int {
	if c := cmp.Compare(b.Misses(), a.Misses()); c != 0 {
		return c
	}
	if a.Important != b.Important {
		if a.Important {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.Weight, a.Weight); c != 0 {
		return c
	}
	// a higher share of the window missed, then a stable order
	if c := cmp.Compare(len(a.Recent), len(b.Recent)); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// RepeatedFlags returns the red flags raised more than once, most often first.
func RepeatedFlags(tracks []ConceptTrack) []ConceptTrack {
	var out []ConceptTrack
	for _, t := range tracks {
		if t.IsFlag() && t.Total > 1 {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b ConceptTrack) int {
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// weakestStep is the step with the lowest average score (Clarify when
// there are no sessions).
func weakestStep(st Stats) (StepID, float64) {
	weakest, avg := Clarify, 2.0
	if st.Sessions == 0 {
		return Clarify, 0
	}
	for i, total := range st.StepTotals {
		if a := total / float64(st.Sessions); a < avg {
			weakest, avg = StepID(i+1), a
		}
	}
	return weakest, avg
}

// stepTrend returns a step's latest scores, oldest first, from the history
// (interviews, and drills of that step).
func stepTrend(history []HistoryEntry, step StepID, n int) []float64 {
	var out []float64
	for _, e := range history { // newest first
		if len(out) == n {
			break
		}
		if e.Kind == KindDrill && e.Step != step {
			continue
		}
		out = append(out, e.StepScores[step-1])
	}
	slices.Reverse(out)
	return out
}

// ProgressText is what /mlsd me adds to the numbers: the concepts missed
// most, repeated red flags, the weakest step's trend and a one-line plan.
// It is empty until a completion has recorded coverage.
func ProgressText(st Stats, p PersonProgress) string {
	missed := MostMissed(p.Tracks, maxMissedShown)
	flags := RepeatedFlags(p.Tracks)
	if len(missed) == 0 && len(flags) == 0 && len(p.History) == 0 {
		return ""
	}
	var b strings.Builder
	if len(missed) > 0 {
		b.WriteString("**Concepts you miss most**\n")
		for _, t := range missed {
			fmt.Fprintf(&b, "- _%s_ (%s) — missed %s\n", mdSafe(t.Label), t.Step.Title(), missCount(t))
		}
	}
	if len(flags) > 0 {
		b.WriteString("**Red flags you raised more than once**\n")
		for _, t := range flags {
			fmt.Fprintf(&b, "- %s (%s) — %d times\n", mdSafe(t.Label), t.Step.Title(), t.Total)
		}
	}
	weakest, _ := weakestStep(st)
	if trend := stepTrend(p.History, weakest, trendLength); st.Sessions > 0 && len(trend) > 0 {
		parts := make([]string, len(trend))
		for i, v := range trend {
			parts[i] = fmt.Sprintf("%d%%", pct(v))
		}
		fmt.Fprintf(&b, "**Weakest step trend:** %s — %s", weakest.Title(), strings.Join(parts, " → "))
		if len(trend) > 1 {
			switch d := trend[len(trend)-1] - trend[0]; {
			case d >= 0.1:
				b.WriteString(" (improving)")
			case d <= -0.1:
				b.WriteString(" (slipping)")
			default:
				b.WriteString(" (flat)")
			}
		}
		b.WriteString("\n")
	}
	if plan := planLine(st, p.Tracks); plan != "" {
		b.WriteString(plan + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// planLine suggests the next drill: the weakest step and the concept of
// it missed most, else the step of the concept missed most overall.
func planLine(st Stats, tracks []ConceptTrack) string {
	missed := MostMissed(tracks, 0)
	if len(missed) == 0 {
		return ""
	}
	weakest, _ := weakestStep(st)
	pick := missed[0]
	if st.Sessions > 0 {
		if i := slices.IndexFunc(missed, func(t ConceptTrack) bool { return t.Step == weakest }); i >= 0 {
			pick = missed[i]
		}
	}
	return fmt.Sprintf("**Next:** a drill on %s — you missed _%s_ %s (`/mlsd drill %s`).",
		pick.Step.Title(), mdSafe(pick.Label), missCount(pick), pick.Step.Key())
}

// missCount says how often a concept was missed in its window.
func missCount(t ConceptTrack) string {
	if len(t.Recent) == 1 {
		return "the one time it came up"
	}
	return fmt.Sprintf("%d of the last %d times", t.Misses(), len(t.Recent))
}

// mdSafe keeps a label from opening or closing the Markdown subset's
// emphasis: labels come from scenario files, not users, but an underscore
// or asterisk in one would still break the line.
func mdSafe(s string) string {
	return strings.NewReplacer("_", " ", "*", " ", "`", "'").Replace(s)
}
