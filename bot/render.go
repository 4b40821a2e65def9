package bot

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// ReportText renders a report in the Markdown subset.
func ReportText(r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Report — %s** (%s, %s mode)\n\n", r.ScenarioTitle, r.Difficulty, r.Mode)
	fmt.Fprintf(&b, "**Score: %d/100 — %s**", r.Score, bandOf(r))
	if r.Points > 0 {
		fmt.Fprintf(&b, " · %s leaderboard points", formatPoints(r.Points))
	}
	b.WriteString("\n\n")
	for _, st := range r.Steps {
		fmt.Fprintf(&b, "`%s` %d. %s — %s/%s", Bar(st.Score, 10), st.Step, st.Title, formatPoints(st.Points), formatPoints(st.Max))
		var notes []string // Evaluate's notes already say "skipped"
		if st.Hints > 0 {
			notes = append(notes, fmt.Sprintf("%d hint(s)", st.Hints))
		}
		notes = append(notes, st.Notes...)
		if len(notes) > 0 {
			fmt.Fprintf(&b, " _(%s)_", strings.Join(notes, "; "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Wrap-up bonus: +%s/10\n", formatPoints(r.WrapUpBonus))
	if len(r.Pitfalls) > 0 {
		b.WriteString("\n**Pitfalls**\n")
		for _, p := range r.Pitfalls {
			fmt.Fprintf(&b, "- **%s** (−%d): %s\n", p.Name, p.Penalty, p.Detail)
		}
	}
	if flags := FlagLines(r); len(flags) > 0 {
		fmt.Fprintf(&b, "\n**Red flags** (−%d each from the score)\n", FlagSessionPenalty)
		for _, f := range flags {
			fmt.Fprintf(&b, "- %s — %s: “%s”\n", f.Where, f.Label, f.Evidence)
		}
	}
	if credits := CreditLines(r); len(credits) > 0 {
		b.WriteString("\n**Credits** (who found each: the rubric, the AI judge, or both)\n")
		for _, c := range credits {
			fmt.Fprintf(&b, "- %s — %s (%s): “%s”\n", c.Where, c.Label, c.Source, c.Evidence)
		}
	}
	if len(r.Strengths) > 0 {
		b.WriteString("\n**Strengths**\n")
		for _, m := range r.Strengths {
			fmt.Fprintf(&b, "- %s: “%s”\n", m.Label, m.Evidence)
		}
	}
	if len(r.Gaps) > 0 {
		b.WriteString("\n**Questions to study**\n")
		for _, g := range r.Gaps {
			fmt.Fprintf(&b, "- %s\n", g)
		}
	}
	if len(r.Outline) > 0 {
		b.WriteString("\n**Reference outline**\n")
		for _, sec := range r.Outline {
			fmt.Fprintf(&b, "\n_%s_\n%s\n", sec.Title, strings.TrimSpace(sec.Text))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// formatPoints prints at most two decimals and no trailing zeros
// (12, 12.5, 1.25).
func formatPoints(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// StatusText summarises an interview in progress, including every answer
// saved so far.
func StatusText(s *Session, sc *Scenario) string {
	var b strings.Builder
	title := s.ScenarioID
	if sc != nil {
		title = sc.Title
	}
	fmt.Fprintf(&b, "**%s** (%s mode) — %s  %s\n", title, s.Mode, stepHeadingPlain(s), Progress(s))
	hints := 0
	for st := Clarify; st <= Monitoring; st++ {
		a := s.Answers[st]
		hints += a.Hints
		switch {
		case a.Skipped:
			fmt.Fprintf(&b, "- %d. %s: skipped\n", st, st.Title())
		case a.Text != "":
			fmt.Fprintf(&b, "- %d. %s: “%s”\n", st, st.Title(), preview(a.Text, 300))
		}
	}
	for i, a := range s.Wrap {
		if a.Text != "" {
			fmt.Fprintf(&b, "- Wrap-up %d (%s): “%s”\n", i+1, wrapTitles[i], preview(a.Text, 300))
		}
	}
	fmt.Fprintf(&b, "Hints used: %d. Type `repeat` to see the current question.", hints)
	return b.String()
}

func stepHeadingPlain(s *Session) string {
	if s.Step == WrapUp {
		return fmt.Sprintf("wrap-up %d/3 (%s)", s.WrapPart+1, strings.ToLower(wrapTitles[s.WrapPart]))
	}
	return fmt.Sprintf("step %d/%d (%s)", s.Step, Steps, s.Step.Title())
}

// preview flattens whitespace and clips long text.
func preview(s string, n int) string {
	return clip(strings.Join(strings.Fields(s), " "), n)
}

// HelpText lists the commands.
const HelpText = `**MLSD — ML system design interview coach**
- ` + "`/mlsd start [scenario-id|random] [mock|practice]`" + ` — start an interview (mock: feedback at the end; practice: after each step)
- ` + "`/mlsd scenarios`" + ` — list the case studies
- ` + "`/mlsd leaderboard [week|month|all]`" + ` — top 10 of this workspace and your rank
- ` + "`/mlsd me`" + ` — your numbers, the concepts you miss most, your weakest step's trend and what to drill next
- ` + "`/mlsd drill [step] [scenario]`" + ` — 2–5 minutes on one step (default: your weakest), on a case chosen for what you miss
- ` + "`/mlsd history`" + ` · ` + "`/mlsd report N`" + ` — your last 20 interviews and drills; show one report again
- ` + "`/mlsd team`" + ` — how this workspace is doing: completions, average per step, what the team misses (no one's scores)
- ` + "`/mlsd status`" + ` — your interview in progress
- ` + "`/mlsd optout`" + ` · ` + "`optin`" + ` — show as _anonymous_ on boards, reveals and standings (your stats stay) · ` + "`/mlsd forget me`" + ` — delete everything kept about you
- ` + "`/mlsd diagram <scenario-id>`" + ` — a case study's reference architecture, drawn
- ` + "`/mlsd daily on [cron] [time zone]`" + ` · ` + "`off`" + ` · ` + "`status`" + ` · ` + "`now`" + ` — the channel's daily case study (admins change it)
- ` + "`/mlsd export [YYYY-MM]`" + ` — admins: the month's completed interviews as a CSV, sent privately
- ` + "`/mlsd help`" + ` — this help
In an interview, reply with your answer or one of: ` + "`hint` `next` `skip` `repeat` `status` `end`" + `.`

// ScenariosText lists the library grouped by difficulty.
func ScenariosText(l *Library) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%d case studies** — start one with `/mlsd start <id>` or `/mlsd start random`\n", l.Len())
	var last Difficulty
	for _, sc := range l.All() {
		if sc.Difficulty != last {
			last = sc.Difficulty
			fmt.Fprintf(&b, "\n**%s** (×%s points)\n", titleCase(string(sc.Difficulty)), formatPoints(sc.Difficulty.Multiplier()))
		}
		fmt.Fprintf(&b, "- `%s` — %s", sc.ID, sc.Title)
		if len(sc.Tags) > 0 {
			fmt.Fprintf(&b, " _(%s)_", strings.Join(sc.Tags, ", "))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// BoardText renders a leaderboard.
func BoardText(title string, board Board) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n", title)
	if len(board.Top) == 0 {
		b.WriteString("No completed interviews yet — be the first with `/mlsd start`.\n")
	}
	for _, st := range board.Top {
		fmt.Fprintf(&b, "%d. %s — %s pts", st.Rank, displayName(st), formatPoints(st.Points))
		if st.Sessions > 0 { // daily answers earn points without a session
			fmt.Fprintf(&b, " (%d interview%s)", st.Sessions, plural(st.Sessions))
		}
		b.WriteString("\n")
	}
	if v := board.Viewer; v != nil {
		fmt.Fprintf(&b, "You: #%d with %s pts\n", v.Rank, formatPoints(v.Points))
	} else if len(board.Top) > 0 {
		b.WriteString("You: not ranked yet — finish an interview to join.\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func displayName(st Standing) string {
	if st.UserName != "" {
		return st.UserName
	}
	return st.UserID
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// MeText renders a user's stats.
func MeText(st Stats) string {
	if st.Sessions == 0 {
		msg := "You have not completed an interview yet. Start one with `/mlsd start`."
		if st.Points > 0 || st.BestStreak > 0 { // daily answers only
			msg = fmt.Sprintf("**Your progress**: %s points from daily challenges and drills, streak %d day%s (best %d). ", formatPoints(st.Points), st.Streak, plural(st.Streak), st.BestStreak) +
				"Finish a full interview (`/mlsd start`) to see your average per step."
		}
		return msg
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**Your progress**: %d session%s completed, %s points, best score %d, last score %d",
		st.Sessions, plural(st.Sessions), formatPoints(st.Points), st.BestScore, st.LastScore)
	if st.Streak > 0 {
		fmt.Fprintf(&b, ", streak %d day%s (best %d)", st.Streak, plural(st.Streak), st.BestStreak)
	}
	b.WriteString("\n**Average per step**\n")
	weakest, weakestAvg := Clarify, 2.0
	for i := range st.StepTotals {
		step := StepID(i + 1)
		avg := st.StepTotals[i] / float64(st.Sessions)
		fmt.Fprintf(&b, "`%s` %d. %s — %d%%\n", Bar(avg, 10), step, step.Title(), int(avg*100+0.5))
		if avg < weakestAvg {
			weakest, weakestAvg = step, avg
		}
	}
	fmt.Fprintf(&b, "**Weakest step:** %s — focus your next practice there (`/mlsd start random practice`).", weakest.Title())
	return b.String()
}

// PromptMessage is a scenario's case prompt as posted at the root of its
// thread: a bold title line with difficulty and tags, then the prompt.
// Scenario validation measures exactly this against the platforms' limits.
func PromptMessage(sc *Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · %s", strings.TrimSpace(sc.Title), sc.Difficulty)
	if len(sc.Tags) > 0 {
		fmt.Fprintf(&b, " · %s", strings.Join(sc.Tags, ", "))
	}
	b.WriteString("\n\n")
	b.WriteString(strings.TrimSpace(sc.Prompt))
	return b.String()
}

// FlagLine is one red flag of a report, with where it was raised.
type FlagLine struct {
	Where    string // "Model development", "Wrap-up: bottlenecks"
	Label    string
	Evidence string // the candidate's words, verbatim: escape when rendering
}

// FlagLines lists a report's red flags in interview order.
func FlagLines(r *Report) []FlagLine {
	var out []FlagLine
	for _, st := range r.Steps {
		for _, f := range st.Flags {
			out = append(out, FlagLine{Where: st.Title, Label: f.Label, Evidence: f.Evidence})
		}
	}
	for _, f := range r.WrapUp.Flags {
		out = append(out, FlagLine{Where: "Wrap-up: " + strings.ToLower(WrapUpPartTitle(f.Part)), Label: f.Label, Evidence: f.Evidence})
	}
	return out
}

// CreditLine is one credited concept of a report with who credited it.
type CreditLine struct {
	Where    string
	Label    string
	Evidence string // the candidate's words, verbatim: escape when rendering
	Source   string // "rubric", "AI judge", "rubric + AI judge"
}

// CreditLines lists every credit of a report in interview order, each
// marked with its source, when the AI judge took part; none otherwise.
func CreditLines(r *Report) []CreditLine {
	var out []CreditLine
	judged := false
	add := func(where string, ms []rubric.Match) {
		for _, m := range ms {
			src := "rubric"
			switch m.Source {
			case rubric.SourceJudge:
				src, judged = "AI judge", true
			case rubric.SourceBoth:
				src, judged = "rubric + AI judge", true
			}
			out = append(out, CreditLine{Where: where, Label: m.Label, Evidence: m.Evidence, Source: src})
		}
	}
	for _, st := range r.Steps {
		add(st.Title, st.Matches)
	}
	add("Wrap-up", r.WrapUp.Matches)
	if !judged {
		return nil
	}
	return out
}

// bandOf names a report's level band; reports stored before bands existed
// get theirs from the score.
func bandOf(r *Report) string {
	if r.Band != "" {
		return r.Band
	}
	return BandFor(r.Score)
}

// BandOf is bandOf for adapters.
func BandOf(r *Report) string { return bandOf(r) }
