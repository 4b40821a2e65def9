package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/mlsdbot/mlsd/scenarios"
)

// errCalibrationMissed makes `mlsd grade eval` exit 1 when a target is missed.
var errCalibrationMissed = errors.New("calibration targets missed")

// gradeCmd runs `mlsd grade eval`: the calibration set through the
// deterministic grader, held-out scenarios reported first.
func gradeCmd(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "eval" {
		return errors.New("usage: mlsd grade eval [--only heldout|spent|tuned] [--planted] [--detail] [DIR]")
	}
	fset := flag.NewFlagSet("grade eval", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	only := fset.String("only", "", "report only the held-out or the tuned scenarios")
	planted := fset.Bool("planted", false, "list each planted error and whether it was flagged")
	detail := fset.Bool("detail", false, "show every candidate's step scores and flags")
	if err := fset.Parse(args[1:]); err != nil || fset.NArg() > 1 {
		return errors.New("usage: mlsd grade eval [--only heldout|spent|tuned] [--planted] [--detail] [DIR]")
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
	cal, err := scenarios.Calibrate(fsys, lib)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(stdout, "Calibration: %s, judge: rubric (deterministic)\n\n", what)
	missed := false
	for _, part := range []struct {
		name, title string
		sum         scenarios.CalibrationSummary
	}{
		{"heldout", "Held out (not looked at while tuning)", cal.HeldOut},
		{"spent", "Spent held-out (held out once; first figures in the README; not tuned on since)", cal.Spent},
		{"tuned", "Tuned on", cal.Tuned},
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
	fmt.Fprintln(stdout, "Bands: score ≥ 80 Strong hire (SH), ≥ 65 Hire (H), ≥ 50 Lean hire (LH), ≥ 35 Lean no hire (LNH), else No hire (NH).")
	if missed {
		return errCalibrationMissed
	}
	return nil
}
