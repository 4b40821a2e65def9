// Package scenarios holds the built-in case studies as YAML files, embedded
// in the binary, and loads, strictly validates and prepares them. The schema
// is the YAML tags of bot.Scenario; framework.yaml is the framework-wide
// rubric merged into every scenario.
package scenarios

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/mlsdbot/mlsd/bot"
)

// files are the built-in scenarios plus framework.yaml. go:embed must sit
// next to the content, hence the package lives in the content directory.
//
//go:embed *.yaml
var files embed.FS

// FrameworkFile is the framework rubric's file name; Parse skips it.
const FrameworkFile = "framework.yaml"

// BuiltinSource is Scenario.Source for the embedded scenarios.
const BuiltinSource = "built-in"

// Problem is one thing wrong in a scenario file.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message) }

// Problems are every problem found, sorted by file, line and message. It
// is the error type Parse, Builtin and Load return for bad content.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sort() {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Message, b.Message))
	})
}

// The embedded files are part of the binary, so parsing them gives the
// same result every time; compiling every rubric takes about half a second
// of CPU, which a process (and each test binary, which loads them hundreds
// of times) pays once. Callers must treat what these return as read-only,
// like any loaded scenario; the race detector guards that in tests.
var (
	embeddedFramework = sync.OnceValues(parseEmbeddedFramework)
	embeddedBuiltin   = sync.OnceValues(parseEmbeddedBuiltin)
	embeddedLazy      = sync.OnceValues(parseEmbeddedLazy)
)

// Framework returns the embedded framework.yaml, parsed.
func Framework() (*bot.Framework, error) { return embeddedFramework() }

func parseEmbeddedFramework() (*bot.Framework, error) {
	data, err := files.ReadFile(FrameworkFile)
	if err != nil {
		return nil, err
	}
	fw, probs := parseFramework("scenarios/"+FrameworkFile, data)
	if len(probs) > 0 {
		return nil, probs
	}
	return fw, nil
}

// Builtin returns the embedded scenarios, validated and prepared, sorted by
// id. Until case files exist it returns an empty slice and no error.
func Builtin() ([]*bot.Scenario, error) {
	scs, err := embeddedBuiltin()
	return slices.Clone(scs), err
}

func parseEmbeddedBuiltin() ([]*bot.Scenario, error) {
	fw, err := Framework()
	if err != nil {
		return nil, err
	}
	scs, probs := parse(files, "scenarios/", fw, func(string) string { return BuiltinSource }, false)
	if len(probs) > 0 {
		return nil, probs
	}
	return scs, nil
}

// parseEmbeddedLazy is parseEmbeddedBuiltin with each scenario prepared
// at its first use (PrepareLater).
func parseEmbeddedLazy() ([]*bot.Scenario, error) {
	fw, err := Framework()
	if err != nil {
		return nil, err
	}
	scs, probs := parse(files, "scenarios/", fw, func(string) string { return BuiltinSource }, true)
	if len(probs) > 0 {
		return nil, probs
	}
	return scs, nil
}

// Parse reads every *.yaml file at the root of fsys except framework.yaml
// as one scenario, decodes it strictly (unknown fields are errors),
// validates it, and prepares it with the embedded framework. It returns the
// scenarios that are valid, sorted by id, and, if anything is wrong, a
// Problems error listing every problem as "file:line: message".
func Parse(fsys fs.FS) ([]*bot.Scenario, error) {
	fw, err := Framework()
	if err != nil {
		return nil, err
	}
	scs, probs := parse(fsys, "", fw, func(name string) string { return name }, false)
	if len(probs) > 0 {
		return scs, probs
	}
	return scs, nil
}

// Load returns the built-in scenarios plus, when extraDir is not empty,
// every scenario in that directory (MLSD_SCENARIOS_DIR); a scenario there
// with a built-in's id replaces it. Any problem in either fails the load;
// problems in extraDir are reported with its file paths.
func Load(extraDir string) (*bot.Library, error) {
	// The embedded cases compile at first use: they were validated in full
	// before the binary was built (the tests run Builtin), and a process
	// serving one case should not wait for twenty.
	builtin, err := embeddedLazy()
	if err != nil {
		return nil, err
	}
	builtin = slices.Clone(builtin)
	if extraDir == "" {
		return bot.NewLibrary(builtin...), nil
	}
	info, err := os.Stat(extraDir)
	if err != nil {
		return nil, fmt.Errorf("scenarios directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("scenarios directory %s: not a directory", extraDir)
	}
	fw, err := Framework()
	if err != nil {
		return nil, err
	}
	extra, probs := parse(os.DirFS(extraDir), filepath.ToSlash(extraDir)+"/", fw, func(name string) string {
		return filepath.Join(extraDir, name)
	}, false)
	if len(probs) > 0 {
		return nil, probs
	}
	return bot.NewLibrary(append(builtin, extra...)...), nil
}

func parse(fsys fs.FS, prefix string, fw *bot.Framework, source func(name string) string, later bool) ([]*bot.Scenario, Problems) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, Problems{{File: prefix, Line: 0, Message: err.Error()}}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == FrameworkFile })
	// Compiling a scenario's rubrics is most of a process's start-up, and
	// scenarios are independent: prepare them on every core.
	type result struct {
		sc    *bot.Scenario
		probs Problems
	}
	results := make([]result, len(names))
	cores := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			cores <- struct{}{}
			defer func() { <-cores }()
			file := prefix + name
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				results[i].probs = Problems{{File: file, Line: 0, Message: err.Error()}}
				return
			}
			sc, p := parseScenario(file, strings.TrimSuffix(path.Base(name), ".yaml"), data, fw, later)
			if len(p) > 0 {
				results[i].probs = p
				return
			}
			sc.Source = source(name)
			results[i].sc = sc
		})
	}
	wg.Wait()
	var (
		out   []*bot.Scenario
		probs Problems
	)
	for _, r := range results {
		probs = append(probs, r.probs...)
		if r.sc != nil {
			out = append(out, r.sc)
		}
	}
	slices.SortFunc(out, func(a, b *bot.Scenario) int { return cmp.Compare(a.ID, b.ID) })
	probs.sort()
	return out, probs
}

// decodeStrict decodes data into v rejecting unknown fields, and returns
// the document node for line lookups. Problems carry file and line.
func decodeStrict(file string, data []byte, v any) (*yaml.Node, Problems) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{yamlProblem(file, err.Error())}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Problems{{File: file, Line: 1, Message: "file is empty"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: root.Line, Message: "expected a mapping of fields at the top level"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var probs Problems
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				probs = append(probs, yamlProblem(file, msg))
			}
		} else {
			probs = append(probs, yamlProblem(file, err.Error()))
		}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		probs = append(probs, Problem{File: file, Line: extra.Line, Message: "only one document per file (found a second ---)"})
	} else if !errors.Is(err, io.EOF) {
		probs = append(probs, yamlProblem(file, err.Error()))
	}
	return root, probs
}

var (
	yamlLine    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknown = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	goTypeName  = regexp.MustCompile(`bot\.[A-Za-z]+`)
)

// typeNames turn Go type names in yaml.v3 messages into schema words.
var typeNames = map[string]string{
	"bot.Scenario": "scenario", "bot.StepSpec": "step", "rubric.Concept": "concept",
	"bot.Hints": "hints", "bot.NamedHint": "named hint", "bot.Probe": "probe",
	"rubric.RedFlag": "red flag", "bot.WrapUpSpec": "wrapup", "bot.WrapUpQuestion": "wrap-up question",
	"bot.Framework": "framework", "bot.FrameworkStep": "framework step",
	"bot.FrameworkWrapUp": "framework wrapup",
}

func yamlProblem(file, msg string) Problem {
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if m := yamlUnknown.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("unknown field %q in %s", m[1], cmp.Or(typeNames[m[2]], m[2]))
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = goTypeName.ReplaceAllStringFunc(msg, func(goName string) string {
		return cmp.Or(typeNames[goName], goName)
	})
	return Problem{File: file, Line: line, Message: msg}
}
