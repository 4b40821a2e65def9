package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/console"
	"github.com/mlsdbot/mlsd/scenarios"
)

const usage = `mlsd — ML system design interview coach for Slack, Discord and the terminal.

Usage:
  mlsd                         run: Slack/Discord when their tokens are set, else the console
  mlsd console [--user NAME]   chat with the bot in this terminal
  mlsd scenarios list          list the case studies
  mlsd scenarios show ID       print one case study's prompt and questions
  mlsd scenarios validate [DIR]  check scenario files; lists every problem with file and line
  mlsd scenarios diagram ID -o FILE.png  draw a scenario's reference architecture
  mlsd grade eval [--judge rubric|llm|both] [--only heldout|spent|tuned] [--planted] [--detail] [DIR]
                               grade a calibration set (default: the built-in blind one);
                               held-out figures first, then tuned; exit 1 if a target is missed;
                               --judge llm/both also reads each answer with the AI judge
                               (MLSD_LLM_*) and prints how far the two agree
  mlsd config check            check the environment; one line per problem
  mlsd store check [FILE]      check the embedded store's data file (default: the data dir's mlsd.db)
  mlsd slack manifest [--http URL]    print the Slack app manifest (Socket Mode, or HTTP mode at URL)
  mlsd discord register [--guild ID]  register the /mlsd command (guild: instant; else global)
  mlsd healthcheck             probe this instance's /healthz (for container health checks)
  mlsd version                 print the version

Configuration comes from the environment; see README.md.
`

// errHelp means usage was printed on request; run returns nil for it.
var errHelp = errors.New("help requested")

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd != "" && cmd != "run" && cmd != "console" && wantsHelp(args) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch cmd {
	case "", "run":
		return serve(ctx, args, getenv, stdin, stdout, stderr, false)
	case "console":
		return serve(ctx, args, getenv, stdin, stdout, stderr, true)
	case "scenarios":
		return scenariosCmd(ctx, args, getenv, stdout, stderr)
	case "grade":
		return gradeCmd(ctx, args, getenv, stdout)
	case "store":
		return storeCmd(args, getenv, stdout)
	case "config":
		return configCmd(ctx, args, getenv, stdout)
	case "slack":
		return slackCmd(args, stdout, stderr)
	case "discord":
		return discordCmd(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "version":
		fmt.Fprintln(stdout, "mlsd", version())
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// wantsHelp reports whether a subcommand's arguments ask for help; run
// and console have flag sets that answer -h themselves.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "help":
			return true
		}
	}
	return false
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

func scenariosCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		lib, err := scenarios.Load(getenv("MLSD_SCENARIOS_DIR"))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, console.Render(bot.ScenariosText(lib)))
		return nil
	case "show":
		if len(args) != 1 {
			return errors.New("usage: mlsd scenarios show ID")
		}
		lib, err := scenarios.Load(getenv("MLSD_SCENARIOS_DIR"))
		if err != nil {
			return err
		}
		sc, candidates := lib.Resolve(args[0])
		if sc == nil {
			msg := fmt.Sprintf("no scenario %q", args[0])
			if len(candidates) > 0 {
				msg += "; did you mean " + strings.Join(candidates, ", ") + "?"
			}
			return errors.New(msg)
		}
		fmt.Fprint(stdout, console.Render(showScenario(sc)))
		return nil
	case "validate":
		if len(args) > 1 {
			return errors.New("usage: mlsd scenarios validate [DIR]")
		}
		var (
			list []*bot.Scenario
			err  error
			what = "built-in scenarios"
		)
		if len(args) == 1 {
			what = args[0]
			list, err = scenarios.Parse(os.DirFS(args[0]))
		} else {
			list, err = scenarios.Builtin()
		}
		if err != nil {
			problems := strings.Split(strings.TrimSpace(err.Error()), "\n")
			for _, p := range problems {
				if len(args) == 1 && !strings.HasPrefix(p, "scenarios/") {
					p = filepath.Join(args[0], p) // name files as the user can open them
				}
				fmt.Fprintln(stderr, p)
			}
			return fmt.Errorf("%s: %d problem(s)", what, len(problems))
		}
		if err := validateScenarios(ctx, list, stderr); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fmt.Fprintf(stdout, "%s: %d scenarios valid, diagrams render\n", what, len(list))
		for _, sc := range bot.NewLibrary(list...).All() {
			fmt.Fprintf(stdout, "  %-28s %-6s %s\n", sc.ID, sc.Difficulty, sc.Title)
		}
		return nil
	case "diagram":
		return diagramCmd(ctx, args, getenv, stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return errors.New("usage: mlsd scenarios list|show ID|validate [DIR]|diagram ID -o FILE")
}

func showScenario(sc *bot.Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) — %s\n\n%s\n", sc.Title, sc.ID, sc.Difficulty, strings.TrimSpace(sc.Prompt))
	for i, st := range sc.Steps {
		fmt.Fprintf(&b, "\nStep %d/%d — %s\n  %s\n", i+1, bot.Steps, bot.StepID(i+1).Title(), st.Question)
	}
	for i, p := range sc.WrapUp.Parts() {
		fmt.Fprintf(&b, "\nWrap-up %d/3\n  %s\n", i+1, p.Question)
	}
	return b.String()
}
