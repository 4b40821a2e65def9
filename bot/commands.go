package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mlsdbot/mlsd/bot/rubric"
)

// CommandName is a top-level /mlsd command.
type CommandName string

const (
	CmdStart       CommandName = "start"
	CmdScenarios   CommandName = "scenarios"
	CmdLeaderboard CommandName = "leaderboard"
	CmdMe          CommandName = "me"
	CmdStatus      CommandName = "status"
	CmdHelp        CommandName = "help"
	CmdDaily       CommandName = "daily"
	CmdHistory     CommandName = "history"
	CmdReport      CommandName = "report"
	CmdTeam        CommandName = "team"
	CmdOptOut      CommandName = "optout"
	CmdOptIn       CommandName = "optin"
	CmdForget      CommandName = "forget"
	CmdDrill       CommandName = "drill"
	CmdExport      CommandName = "export"
	CmdDiagram     CommandName = "diagram"
	CmdUnknown     CommandName = ""
)

// Command is a parsed /mlsd command line.
type Command struct {
	Name CommandName
	// Scenario is the start or diagram argument: an id, an id prefix,
	// "random" or "".
	Scenario string
	Mode     Mode
	// Period is the leaderboard argument: "week", "month", "all" or ""
	// for week and all time.
	Period string
	// Args are the remaining words (daily subcommands).
	Args []string
	// N is the report argument: 1 is the latest entry of the history.
	N int
	// Step is the drill's step argument (0: the default).
	Step StepID
	// Problem explains why the line could not be understood; the reply is
	// Problem followed by help.
	Problem string
}

// maxCommandLength bounds what the parser looks at; longer lines are refused.
const maxCommandLength = 500

// ParseCommand parses the text after "/mlsd" (a leading "/mlsd" or "mlsd"
// is tolerated). It never fails: unknown input yields CmdUnknown with a
// Problem.
func ParseCommand(text string) Command {
	if len(text) > maxCommandLength {
		return Command{Problem: "That command is too long."}
	}
	fields := strings.FieldsFunc(text, unicode.IsSpace)
	if len(fields) > 0 && (strings.EqualFold(fields[0], "/mlsd") || strings.EqualFold(fields[0], "mlsd")) {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return Command{Name: CmdHelp}
	}
	name := strings.ToLower(fields[0])
	args := fields[1:]
	switch CommandName(name) {
	case CmdStart:
		return parseStart(args)
	case CmdReport:
		return parseReport(args)
	case CmdDrill:
		return parseDrill(args)
	case CmdExport:
		if len(args) > 1 || len(args) == 1 && !isMonth(args[0]) {
			return Command{Problem: "Use `export` for this month, or `export 2026-11` for another."}
		}
		return Command{Name: CmdExport, Args: args}
	case CmdForget:
		switch strings.ToLower(strings.Join(args, " ")) {
		case "me":
			return Command{Name: CmdForget}
		case "me confirm":
			return Command{Name: CmdForget, Args: []string{"confirm"}}
		}
		return Command{Problem: "Use `forget me`; I will ask you to confirm."}
	case CmdScenarios, CmdMe, CmdStatus, CmdHelp, CmdHistory, CmdTeam, CmdOptOut, CmdOptIn:
		if len(args) > 0 && CommandName(name) != CmdHelp {
			return Command{Problem: code(name) + " takes no arguments."}
		}
		return Command{Name: CommandName(name)}
	case CmdLeaderboard:
		c := Command{Name: CmdLeaderboard}
		if len(args) > 1 {
			return Command{Problem: "Use `leaderboard`, `leaderboard week`, `leaderboard month` or `leaderboard all`."}
		}
		if len(args) == 1 {
			switch p := strings.ToLower(args[0]); p {
			case "week", "weekly":
				c.Period = "week"
			case "month", "monthly":
				c.Period = "month"
			case "all", "all-time", "alltime":
				c.Period = "all"
			default:
				return Command{Problem: "Unknown leaderboard period `" + clip(args[0], 40) + "`: use `week`, `month` or `all`."}
			}
		}
		return c
	case CmdDaily:
		return Command{Name: CmdDaily, Args: args}
	case CmdDiagram:
		if len(args) != 1 || !validScenarioQuery(strings.ToLower(args[0])) {
			return Command{Problem: "Use `diagram <scenario-id>` to see a case study's reference architecture."}
		}
		return Command{Name: CmdDiagram, Scenario: strings.ToLower(args[0])}
	}
	// An interview word sent as a command ("/mlsd end"): say where it works.
	if w, ok := ParseWord(fields[0]); ok && len(args) == 0 && w != WordHelp && w != WordAnswer {
		return Command{Problem: "`" + string(w) + "` is not a command: type it as a reply in your interview's thread (in the terminal, just type `" + string(w) + "`)."}
	}
	return Command{Problem: "I don't know the command `" + clip(fields[0], 40) + "`."}
}

// parseReport reads `report N`, N a position in the history (1 = latest).
func parseReport(args []string) Command {
	usage := fmt.Sprintf("Use `report N`, N from 1 (your latest) to %d, as `/mlsd history` numbers them.", HistoryLimit)
	if len(args) != 1 {
		return Command{Problem: usage}
	}
	n, err := strconv.Atoi(strings.TrimPrefix(args[0], "#"))
	if err != nil || n < 1 || n > HistoryLimit {
		return Command{Problem: "I could not use " + code(clip(args[0], 20)) + ". " + usage}
	}
	return Command{Name: CmdReport, N: n}
}

// parseDrill reads `drill [step] [scenario]`; the step is a key
// (monitoring), a title's first word or a number 1-7.
func parseDrill(args []string) Command {
	c := Command{Name: CmdDrill}
	for _, a := range args {
		low := strings.ToLower(a)
		if step, ok := parseStep(low); ok && c.Step == 0 && c.Scenario == "" {
			c.Step = step
			continue
		}
		if c.Scenario == "" && validScenarioQuery(low) {
			c.Scenario = low
			continue
		}
		return Command{Problem: "Use `drill [step] [scenario]`, the step one of clarify, frame, data, model, evaluation, deployment, monitoring (or 1-7); I could not use " + code(clip(a, 40)) + "."}
	}
	return c
}

// parseStep reads a step key, a number 1-7 or a common short name.
func parseStep(s string) (StepID, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= int(Clarify) && n <= int(Monitoring) {
		return StepID(n), true
	}
	if step, ok := StepByKey(s); ok && step != WrapUp {
		return step, true
	}
	switch s {
	case "requirements", "clarification":
		return Clarify, true
	case "framing", "task":
		return Frame, true
	case "features":
		return Data, true
	case "modeling", "modelling", "models":
		return Model, true
	case "eval", "metrics":
		return Evaluation, true
	case "serving", "deploy":
		return Deployment, true
	case "monitor", "infrastructure", "infra":
		return Monitoring, true
	}
	return 0, false
}

func parseStart(args []string) Command {
	c := Command{Name: CmdStart, Mode: Mock}
	modeSet, scenarioSet := false, false
	for _, a := range args {
		low := strings.ToLower(a)
		switch {
		case (low == string(Mock) || low == string(Practice)) && !modeSet:
			c.Mode, modeSet = Mode(low), true
		case !scenarioSet && validScenarioQuery(low):
			c.Scenario, scenarioSet = low, true
		default:
			return Command{Problem: "Use `start [scenario-id|random] [mock|practice]`; I could not use `" + clip(a, 40) + "`."}
		}
	}
	return c
}

// validScenarioQuery accepts the characters scenario ids are made of.
func validScenarioQuery(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Word is an in-session word typed in the interview thread or sent by a button.
type Word string

const (
	WordHint   Word = "hint"
	WordNext   Word = "next"
	WordSkip   Word = "skip"
	WordRepeat Word = "repeat"
	WordStatus Word = "status"
	WordEnd    Word = "end"
	WordHelp   Word = "help"
	// WordAnswer is sent by the "Answer in a form" button.
	WordAnswer Word = "answer"
)

// ParseWord reports whether a whole message is an in-session word
// (case-insensitive, surrounding spaces and a trailing "." or "!" ignored).
func ParseWord(text string) (Word, bool) {
	t := strings.ToLower(strings.TrimSpace(rubric.FoldWidth(text)))
	t = strings.TrimRight(t, ".!")
	switch w := Word(t); w {
	case WordHint, WordNext, WordSkip, WordRepeat, WordStatus, WordEnd, WordHelp, WordAnswer:
		return w, true
	case "quit", "exit", "stop":
		// What a newcomer types to leave; never a step's answer on its own.
		return WordEnd, true
	}
	return "", false
}

// ParseAction splits a button value into its word and the position of the
// question it was shown under ("hint@3" → hint, "3"); at is "" when the
// value carries no position.
func ParseAction(value string) (w Word, at string, ok bool) {
	word, at, _ := strings.Cut(value, "@")
	w, ok = ParseWord(word)
	return w, at, ok
}

// code renders user text as an inline code span it cannot break out of:
// a backtick inside would close the span early, so it becomes a quote.
func code(s string) string {
	return "`" + strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(s) + "`"
}

// clip shortens s to at most n runes for echoing in an error message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// isMonth reports whether s is a month as YYYY-MM.
func isMonth(s string) bool {
	_, err := time.Parse("2006-01", s)
	return err == nil && len(s) == 7
}
