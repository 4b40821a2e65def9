package scenarios

import (
	"errors"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot"
)

// diagram checks the scenario's reference diagram, reporting each problem
// at its own line of the YAML file.
func (c *checker) diagram(sc *bot.Scenario) {
	if blank(sc.Diagram) {
		return
	}
	_, err := bot.ParseDiagram(sc.Diagram)
	var errs bot.DiagramErrors
	if !errors.As(err, &errs) {
		return
	}
	first := c.diagramFirstLine()
	for _, e := range errs {
		c.probs = append(c.probs, Problem{File: c.file, Line: first + e.Line - 1, Message: "diagram: " + e.Message})
	}
}

// diagramFirstLine is the file line of the diagram's first line: the line
// after "diagram: |" for a block, the key's own line otherwise.
func (c *checker) diagramFirstLine() int {
	for i := 0; i+1 < len(c.root.Content); i += 2 {
		if c.root.Content[i].Value != "diagram" {
			continue
		}
		v := c.root.Content[i+1]
		if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return v.Line + 1
		}
		return v.Line
	}
	return 1
}
