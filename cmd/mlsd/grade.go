package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/llm"
	"github.com/mlsdbot/mlsd/scenarios"
)

// errCalibrationMissed makes `mlsd grade eval` exit 1 when a target is missed.
var errCalibrationMissed = errors.New("calibration targets missed")

type calibrationRun struct {
	judge string
	cal   *scenarios.Calibration
}

// gradeCmd runs `mlsd grade eval`: the calibration set through the
// deterministic grader, held-out scenarios reported first.
func gradeCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	const usage = "usage: mlsd grade eval [--judge rubric|llm|both] [--only heldout|spent|tuned] [--planted] [--detail] [DIR]"
	if len(args) == 0 || args[0] != "eval" {
		return errors.New(usage)
	}
	fset := flag.NewFlagSet("grade eval", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	only := fset.String("only", "", "report only the held-out or the tuned scenarios")
	planted := fset.Bool("planted", false, "list each planted error and whether it was flagged")
	detail := fset.Bool("detail", false, "show every candidate's step scores and flags")
	judgeFlag := fset.String("judge", "rubric", "rubric, llm (the rubric with the AI judge) or both")
	if err := fset.Parse(args[1:]); err != nil || fset.NArg() > 1 {
		return errors.New(usage)
	}
	if *judgeFlag != "rubric" && *judgeFlag != "llm" && *judgeFlag != "both" {
		return fmt.Errorf("--judge takes rubric, llm or both, not %q", *judgeFlag)
	}
	if *only != "" && *only != "heldout" && *only != "spent" && *only != "tuned" {
		return fmt.Errorf("--only takes heldout, spent or tuned, not %q", *only)
	}
	var fsys fs.FS = scenarios.BlindCalibration()
	what := "built-in blind calibration set"
	if fset.NArg() == 1 {
		fsys, what = os.DirFS(fset.Arg(0)), fset.Arg(0)
	}
	lib, err := scenarios.Load(getenv("MLSD_SCENARIOS_DIR"))
	if err != nil {
		return err
	}
	var runs []calibrationRun
	if *judgeFlag != "llm" {
		cal, err := scenarios.Calibrate(fsys, lib)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		runs = append(runs, calibrationRun{"rubric (deterministic)", cal})
	}
	if *judgeFlag != "rubric" {
		e := &envReader{getenv: getenv}
		var c config
		e.loadLLM(&c)
		if err := e.probs.err(); err != nil {
			return err
		}
		if c.LLMURL == "" {
			return errors.New("--judge llm needs the AI judge: set MLSD_LLM_URL and MLSD_LLM_MODEL (and MLSD_LLM_API_KEY if the endpoint wants one)")
		}
		judge, err := llm.New(llm.Options{BaseURL: c.LLMURL, APIKey: c.LLMAPIKey, Model: c.LLMModel})
		if err != nil {
			return err
		}
		read := func(sc *bot.Scenario, step bot.StepID, part int, text string) (*bot.Judgment, error) {
			rctx, cancel := context.WithTimeout(ctx, c.LLMTimeout)
			defer cancel()
			return bot.JudgeAnswer(rctx, judge, sc, step, part, text)
		}
		cal, err := scenarios.CalibrateJudged(fsys, lib, read)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		runs = append(runs, calibrationRun{"rubric + AI judge (" + c.LLMModel + " at " + c.LLMURL + ")", cal})
	}
	missed := false
	for _, run := range runs {
		fmt.Fprintf(stdout, "Calibration: %s, judge: %s\n\n", what, run.judge)
		for _, part := range []struct {
			name, title string
			sum         scenarios.CalibrationSummary
		}{
			{"heldout", "Held out (not looked at while tuning)", run.cal.HeldOut},
			{"spent", "Spent held-out (held out once, first figures in the README; tuning data since)", run.cal.Spent},
			{"tuned", "Tuned on", run.cal.Tuned},
		} {
			if *only != "" && *only != part.name {
				continue
			}
			part.sum.SortScenarios()
			fmt.Fprintln(stdout, part.sum.Text(part.title))
			if *detail {
				fmt.Fprintln(stdout, part.sum.DetailText())
			}
			if *planted {
				fmt.Fprintln(stdout, part.sum.PlantedText())
			}
			if len(part.sum.Scenarios) > 0 {
				missed = missed || !part.sum.Met()
			}
		}
	}
	if len(runs) == 2 {
		ag := scenarios.Agree(runs[0].cal, runs[1].cal)
		fmt.Fprintf(stdout, "Agreement between the two (%d candidates): mean |score difference| %.1f points; candidate pairs ordered alike %d/%d (%.0f%%); same band %.0f%%\n\n",
			ag.Candidates, ag.MeanAbsDiff, ag.Agreed, ag.Pairs, 100*ag.PairsSame, 100*ag.BandsSame)
	}
	fmt.Fprintln(stdout, "Bands: score ≥ 80 Strong hire (SH), ≥ 65 Hire (H), ≥ 50 Lean hire (LH), ≥ 35 Lean no hire (LNH), else No hire (NH).")
	if missed {
		return errCalibrationMissed
	}
	return nil
}
