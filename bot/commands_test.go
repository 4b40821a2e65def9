package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
	}{
		{"", Command{Name: CmdHelp}},
		{"help", Command{Name: CmdHelp}},
		{"/mlsd help", Command{Name: CmdHelp}},
		{"start", Command{Name: CmdStart, Mode: Mock}},
		{"START Visual-Search", Command{Name: CmdStart, Scenario: "visual-search", Mode: Mock}},
		{"start random practice", Command{Name: CmdStart, Scenario: "random", Mode: Practice}},
		{"start practice", Command{Name: CmdStart, Mode: Practice}},
		{"start practice vis", Command{Name: CmdStart, Scenario: "vis", Mode: Practice}},
		{"  start\tvisual-search   mock ", Command{Name: CmdStart, Scenario: "visual-search", Mode: Mock}},
		{"scenarios", Command{Name: CmdScenarios}},
		{"leaderboard", Command{Name: CmdLeaderboard}},
		{"leaderboard week", Command{Name: CmdLeaderboard, Period: "week"}},
		{"leaderboard ALL", Command{Name: CmdLeaderboard, Period: "all"}},
		{"me", Command{Name: CmdMe}},
		{"history", Command{Name: CmdHistory}},
		{"drill", Command{Name: CmdDrill}},
		{"drill Monitoring", Command{Name: CmdDrill, Step: Monitoring}},
		{"drill 3 visual-search", Command{Name: CmdDrill, Step: Data, Scenario: "visual-search"}},
		{"drill eval ads", Command{Name: CmdDrill, Step: Evaluation, Scenario: "ads"}},
		{"drill visual-search", Command{Name: CmdDrill, Scenario: "visual-search"}},
		{"leaderboard month", Command{Name: CmdLeaderboard, Period: "month"}},
		{"team", Command{Name: CmdTeam}},
		{"optout", Command{Name: CmdOptOut}},
		{"optin", Command{Name: CmdOptIn}},
		{"forget me", Command{Name: CmdForget}},
		{"forget ME Confirm", Command{Name: CmdForget, Args: []string{"confirm"}}},
		{"report 3", Command{Name: CmdReport, N: 3}},
		{"report #20", Command{Name: CmdReport, N: 20}},
		{"status", Command{Name: CmdStatus}},
		{"diagram Payment-Fraud-Detection", Command{Name: CmdDiagram, Scenario: "payment-fraud-detection"}},
		{"daily on 0 9 * * 1-5 Europe/Berlin", Command{Name: CmdDaily, Args: []string{"on", "0", "9", "*", "*", "1-5", "Europe/Berlin"}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ParseCommand(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCommand(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseCommandProblems(t *testing.T) {
	for _, in := range []string{
		"dance",
		"start a b c",
		"start <!channel>",
		"start mock practice extra",
		"leaderboard yesterday",
		"leaderboard week all",
		"me too",
		"status now",
		"history all",
		"drill data monitoring visual-search",
		"drill <!here>",
		"drill visual-search data",
		"drill 9 x y",
		"forget",
		"forget you",
		"forget me now",
		"team a",
		"optout please",
		"report",
		"report 0",
		"report 21",
		"report two",
		"report 1 2",
		"diagram",
		"diagram a b",
		"diagram <!here>",
		"end",
		"next",
		strings.Repeat("x", maxCommandLength+1),
	} {
		t.Run(clip(in, 20), func(t *testing.T) {
			got := ParseCommand(in)
			if got.Name != CmdUnknown || got.Problem == "" {
				t.Errorf("ParseCommand(%q) = %+v, want CmdUnknown with a Problem", in, got)
			}
		})
	}
}

func TestParseWord(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Word
		ok   bool
	}{
		{"hint", WordHint, true},
		{"  Next. ", WordNext, true},
		{"SKIP!", WordSkip, true},
		{"repeat", WordRepeat, true},
		{"status", WordStatus, true},
		{"end", WordEnd, true},
		{"answer", WordAnswer, true},
		{"quit", WordEnd, true},
		{"Exit.", WordEnd, true},
		{"stop", WordEnd, true},
		{"next step is to clarify", "", false},
		{"", "", false},
		// Issue 12-E: zero-width and full-width forms were graded as answers.
		{"\u200bnext", WordNext, true},
		{"hi\u200dnt", WordHint, true},
		{"ｎｅｘｔ", WordNext, true},
		{"\ufeffＨＩＮＴ！", WordHint, true},
		{"ne\u00adxt", WordNext, true},
	} {
		got, ok := ParseWord(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseWord(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"start", "start visual-search practice", "leaderboard all", "daily on 0 9 * * *", "/mlsd me", "\x00", "start \u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c := ParseCommand(in)
		if c.Name == CmdUnknown && c.Problem == "" {
			t.Fatalf("ParseCommand(%q): unknown command without a problem", in)
		}
		if c.Name != CmdUnknown && c.Problem != "" {
			t.Fatalf("ParseCommand(%q): known command %q with a problem %q", in, c.Name, c.Problem)
		}
		if c.Name == CmdStart {
			if c.Mode != Mock && c.Mode != Practice {
				t.Fatalf("ParseCommand(%q): mode %q", in, c.Mode)
			}
			if c.Scenario != "" && !validScenarioQuery(c.Scenario) {
				t.Fatalf("ParseCommand(%q): scenario %q has invalid characters", in, c.Scenario)
			}
		}
		if utf8.ValidString(in) && !utf8.ValidString(c.Problem) {
			t.Fatalf("ParseCommand(%q): problem is not valid UTF-8: %q", in, c.Problem)
		}
	})
}

func TestLibraryResolve(t *testing.T) {
	lib := NewLibrary(
		&Scenario{ID: "visual-search", Difficulty: Medium},
		&Scenario{ID: "video-search", Difficulty: Hard},
		&Scenario{ID: "video-recommendation", Difficulty: Easy},
		&Scenario{ID: "eta-prediction", Difficulty: Easy},
	)
	tests := []struct {
		query      string
		want       string
		candidates []string
	}{
		{"visual-search", "visual-search", nil},
		{"vis", "visual-search", nil},
		{"video-s", "video-search", nil},
		{"vi", "", []string{"video-recommendation", "visual-search", "video-search"}},
		{"visual-serch", "", []string{"visual-search"}},
		{"eta-predction", "", []string{"eta-prediction"}},
		{"visul", "", []string{"visual-search"}},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzz", "", nil},
	}
	for _, tt := range tests {
		sc, cands := lib.Resolve(tt.query)
		got := ""
		if sc != nil {
			got = sc.ID
		}
		if got != tt.want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.query, got, tt.want)
		}
		if diff := cmp.Diff(tt.candidates, cands); diff != "" {
			t.Errorf("Resolve(%q) candidates (-want +got):\n%s", tt.query, diff)
		}
	}
	if got := lib.All()[0].Difficulty; got != Easy {
		t.Errorf("All()[0].Difficulty = %q, want easy first", got)
	}
}

// Issue 12-E: a backtick in a command argument closed the bot's code span
// early, so the rest of the user's text rendered as Markdown.
func TestCodeSpanHoldsBackticks(t *testing.T) {
	for _, in := range []string{"foo`bar", "`**bold**`", "a\nb`"} {
		got := code(in)
		if strings.Count(got, "`") != 2 || !strings.HasPrefix(got, "`") || !strings.HasSuffix(got, "`") || strings.Contains(got, "\n") {
			t.Errorf("code(%q) = %q, want one span with no backtick or newline inside", in, got)
		}
	}
	c := ParseCommand("status `*x*`")
	if strings.Count(c.Problem, "`") != 2 {
		t.Errorf("problem %q breaks its code span", c.Problem)
	}
}

// An interview word sent as a command says where it works.
func TestInterviewWordAsCommand(t *testing.T) {
	for _, in := range []string{"end", "/mlsd next", "mlsd Skip", "hint"} {
		got := ParseCommand(in)
		if got.Name != CmdUnknown || !strings.Contains(got.Problem, "is not a command: type it as a reply in your interview's thread") {
			t.Errorf("ParseCommand(%q) = %+v", in, got)
		}
	}
	if got := ParseCommand("status"); got.Name != CmdStatus {
		t.Errorf("status is a command too: %+v", got)
	}
}
