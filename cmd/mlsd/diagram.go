package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/graphviz"
	"github.com/mlsdbot/mlsd/scenarios"
)

// diagramCmd is `mlsd scenarios diagram ID -o FILE`: it renders one
// scenario's reference diagram to a PNG file ("-" writes to stdout).
func diagramCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	const use = "usage: mlsd scenarios diagram ID -o FILE.png"
	var id, out string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-o" || a == "--output":
			if i+1 == len(args) {
				return errors.New(use)
			}
			out, i = args[i+1], i+1
		case strings.HasPrefix(a, "-o="):
			out = strings.TrimPrefix(a, "-o=")
		case id == "" && !strings.HasPrefix(a, "-"):
			id = a
		default:
			return errors.New(use)
		}
	}
	if id == "" || out == "" {
		return errors.New(use)
	}
	lib, err := scenarios.Load(getenv("MLSD_SCENARIOS_DIR"))
	if err != nil {
		return err
	}
	sc, candidates := lib.Resolve(id)
	if sc == nil {
		msg := fmt.Sprintf("no scenario %q", id)
		if len(candidates) > 0 {
			msg += "; did you mean " + strings.Join(candidates, ", ") + "?"
		}
		return errors.New(msg)
	}
	r, err := graphviz.New(ctx, graphviz.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	png, err := (&bot.Painter{Library: lib, Diagrams: r}).Draw(ctx, &bot.Picture{Kind: bot.PictureDiagram, Scenario: sc.ID})
	if err != nil {
		return fmt.Errorf("%s: %w", sc.ID, err)
	}
	if out == "-" {
		_, err = stdout.Write(png)
		return err
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: wrote %s (%d bytes)\n", sc.ID, out, len(png))
	return nil
}

// renderDiagrams draws every scenario's diagram once, as validation does:
// a diagram that parses but cannot be drawn is a problem of its file.
func renderDiagrams(ctx context.Context, list []*bot.Scenario) []string {
	var problems []string
	var r *graphviz.Renderer
	for _, sc := range list {
		dot, err := sc.DiagramDOT()
		if errors.Is(err, bot.ErrNoDiagram) {
			continue
		}
		if err == nil && r == nil {
			if r, err = graphviz.New(ctx, graphviz.Options{}); err == nil {
				defer r.Close()
			}
		}
		if err == nil {
			_, err = r.Render(ctx, dot)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: diagram does not render: %v", sc.Source, err))
		}
	}
	return problems
}

// validateScenarios adds rendering to `scenarios validate`.
func validateScenarios(ctx context.Context, list []*bot.Scenario, stderr io.Writer) error {
	problems := renderDiagrams(ctx, list)
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d diagram(s) do not render", len(problems))
	}
	return nil
}
