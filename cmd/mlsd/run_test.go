package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/llm/llmtest"
)

// env returns a getenv over a map: tests never read the real environment.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func runWith(t *testing.T, getenv func(string) string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRunConsoleFullInterviewFromPipedStdin(t *testing.T) {
	dir := t.TempDir()
	script := []string{"/mlsd start visual-search", "hint"}
	for i := 0; i < 12; i++ {
		script = append(script, "I would clarify the goal and the scale because it matters, then move on so that the design fits.", "next")
	}
	out, errOut, err := runWith(t, env("MLSD_DATA_DIR", dir, "USER", "ada"), strings.Join(script, "\n")+"\n")
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, errOut)
	}
	for _, want := range []string{
		"Step 1/7 — Clarify requirements", "Hint 1/2", "Step 2/7 — Frame as an ML task", "Step 7/7 — Monitoring & infrastructure",
		"Wrap-up 1/3", "Wrap-up 3/3", "Score: ", "Reference outline",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("transcript:\n%s", out)
	}
}

func TestRunStatusSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	getenv := env("MLSD_DATA_DIR", dir, "USER", "ada")
	first := "/mlsd start visual-search\nWe need to understand the business goal first, because everything else depends on it.\nnext\n"
	if _, errOut, err := runWith(t, getenv, first); err != nil {
		t.Fatalf("first run: %v\n%s", err, errOut)
	}
	out, errOut, err := runWith(t, getenv, "/mlsd status\n")
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "We need to understand the business goal first") {
		t.Fatalf("status after restart lacks the saved answer:\n%s", out)
	}
}

func TestRunCommands(t *testing.T) {
	// Mostly waiting on child processes: runs beside the other slow
	// end-to-end tests, which keeps CI inside its time budget.
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		wantOut string
		wantErr string
	}{
		{"version", []string{"version"}, env(), "mlsd ", ""},
		{"help", []string{"--help"}, env(), "Usage:", ""},
		{"config help", []string{"config", "--help"}, env(), "mlsd config check", ""},
		{"discord help", []string{"discord", "register", "-h"}, env(), "mlsd discord register", ""},
		{"slack help", []string{"slack", "--help"}, env(), "mlsd slack manifest", ""},
		{"healthcheck help", []string{"healthcheck", "--help"}, env(), "mlsd healthcheck", ""},
		{"unknown", []string{"frobnicate"}, env(), "", `unknown command "frobnicate"`},
		{"scenarios list", []string{"scenarios", "list"}, env(), "case studies", ""},
		{"scenarios show", []string{"scenarios", "show", "visual-search"}, env(), "Step 1/7", ""},
		{"scenarios show typo", []string{"scenarios", "show", "visual-serch"}, env(), "", "did you mean visual-search"},
		{"scenarios validate", []string{"scenarios", "validate"}, env(), "scenarios valid", ""},
		{"bad log level", []string{"console"}, env("MLSD_LOG_LEVEL", "loud", "MLSD_DATA_DIR", "/tmp"), "", "MLSD_LOG_LEVEL"},
		{"bad time zone", []string{"console"}, env("MLSD_TIMEZONE", "Mars/Olympus", "MLSD_DATA_DIR", "/tmp"), "", "MLSD_TIMEZONE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runWith(t, tt.getenv, "", tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v\nstderr: %s", err, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Fatalf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

func TestRunValidateBrokenDirectory(t *testing.T) {
	dir := filepath.Join("..", "..", "scenarios", "testdata", "broken")
	_, errOut, err := runWith(t, env(), "", "scenarios", "validate", dir)
	if err == nil {
		t.Fatal("validate on the broken fixtures succeeded")
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) < 10 {
		t.Fatalf("only %d problems reported:\n%s", len(lines), errOut)
	}
	for _, l := range lines {
		// Every problem names its file and line: DIR/file.yaml:N: message.
		if !strings.HasPrefix(l, dir+string(filepath.Separator)) || !regexp.MustCompile(`\.yaml:\d+: `).MatchString(l) {
			t.Errorf("problem without file and line: %q", l)
		}
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("%d problem(s)", len(lines))) {
		t.Errorf("error %q does not count the %d problems", err, len(lines))
	}
}

func TestConfigCheck(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secretFile, []byte("xoxb-from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("broken", func(t *testing.T) {
		broken := env(
			"SLACK_BOT_TOKEN", "xoxb-secret-value-1",
			"SLACK_BOT_TOKEN_FILE", secretFile, // both set
			"SLACK_APP_TOKEN", "not-an-app-token",
			"DISCORD_BOT_TOKEN", "discord-secret-value-2", // no app id
			"DISCORD_PUBLIC_KEY", "zz",
			"REDIS_URL", "http://:pw-secret-3@nowhere",
			"MLSD_LOG_LEVEL", "loud",
			"MLSD_TIMEZONE", "Mars/Olympus",
			"MLSD_NUDGE_AFTER", "soon",
			"MLSD_HTTP_ADDR", "8080",
			"DISCORD_SHARD_ID", "3",
			"HOME", t.TempDir(),
		)
		out, _, err := runWith(t, broken, "", "config", "check")
		if err == nil {
			t.Fatal("config check passed on a broken environment")
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for _, v := range []string{"SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE", "SLACK_APP_TOKEN", "DISCORD_APP_ID", "DISCORD_PUBLIC_KEY", "REDIS_URL", "MLSD_LOG_LEVEL", "MLSD_TIMEZONE", "MLSD_NUDGE_AFTER", "MLSD_HTTP_ADDR", "DISCORD_SHARD_ID"} {
			found := false
			for _, l := range lines {
				found = found || strings.HasPrefix(l, v)
			}
			if !found {
				t.Errorf("no line starting with %s in:\n%s", v, out)
			}
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%d problem(s)", len(lines))) {
			t.Errorf("error %q does not count the %d lines", err, len(lines))
		}
		for _, secret := range []string{"xoxb-secret-value-1", "discord-secret-value-2", "pw-secret-3", "xoxb-from-a-file"} {
			if strings.Contains(out, secret) || strings.Contains(err.Error(), secret) {
				t.Errorf("config check printed the secret %q", secret)
			}
		}
	})
	t.Run("ok", func(t *testing.T) {
		out, _, err := runWith(t, env("HOME", t.TempDir(), "SLACK_BOT_TOKEN_FILE", secretFile, "SLACK_SIGNING_SECRET", "s3cr3t"), "", "config", "check")
		if err != nil || !strings.Contains(out, "configuration ok: Slack, store bolt, AI judge off") {
			t.Fatalf("config check = %v\n%s", err, out)
		}
	})
	// With the AI judge set, one tiny call checks the endpoint, key and model.
	t.Run("ai judge", func(t *testing.T) {
		fake := llmtest.New(t, func(r llmtest.Request) llmtest.Reply { return llmtest.Reply{Content: "OK"} })
		getenv := env("HOME", t.TempDir(), "MLSD_LLM_URL", fake.BaseURL(), "MLSD_LLM_MODEL", "m1", "MLSD_LLM_API_KEY", "sk-check-SECRET")
		out, _, err := runWith(t, getenv, "", "config", "check")
		if err != nil || !strings.Contains(out, "AI judge on (m1)") || len(fake.Calls()) != 1 {
			t.Fatalf("config check = %v, %d calls\n%s", err, len(fake.Calls()), out)
		}
		fake.SetResponder(func(llmtest.Request) llmtest.Reply { return llmtest.Reply{Status: 401} })
		out, _, err = runWith(t, getenv, "", "config", "check")
		if err == nil || !strings.Contains(out, "HTTP 401") || strings.Contains(out, "sk-check-SECRET") {
			t.Fatalf("config check against a refusing endpoint = %v\n%s", err, out)
		}
	})
}

// Issue 12-C through the binary: a damaged data file stops the console
// at start with the recovery path, and `mlsd store check` lists the
// problems (exit 1) or says the file is sound.
func TestDamagedStoreRefusedAndChecked(t *testing.T) {
	dir := t.TempDir()
	var answers []string
	answers = append(answers, "/mlsd start visual-search")
	for range 20 {
		answers = append(answers, strings.Repeat("I would clarify the goal, the scale and the latency budget because they shape the design. ", 10))
	}
	if _, errOut, err := runWith(t, env("MLSD_DATA_DIR", dir, "USER", "ada"), strings.Join(answers, "\n")+"\n"); err != nil {
		t.Fatalf("first run: %v\n%s", err, errOut)
	}
	db := filepath.Join(dir, "mlsd.db")
	out, _, err := runWith(t, env("MLSD_DATA_DIR", dir), "", "store", "check")
	if err != nil || !strings.Contains(out, "ok, no problems found") {
		t.Fatalf("store check on a sound file = %v:\n%s", err, out)
	}
	info, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(db, info.Size()/2); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runWith(t, env("MLSD_DATA_DIR", dir, "USER", "ada"), "/mlsd status\n")
	if err == nil || !strings.Contains(err.Error(), "is damaged") || !strings.Contains(err.Error(), "mlsd store check") {
		t.Fatalf("run on a damaged file = %v (stderr %q), want a refusal with the recovery path", err, errOut)
	}
	out, _, err = runWith(t, env("MLSD_DATA_DIR", dir), "", "store", "check", db)
	if err == nil || !strings.Contains(out, "problem(s)") || !strings.Contains(out, db+".bak") {
		t.Fatalf("store check on a damaged file = %v:\n%s", err, out)
	}
}

// TestConsoleExport: in the console (the machine's owner is its admin)
// /mlsd export writes the month's CSV under the data dir and prints its path.
func TestConsoleExport(t *testing.T) {
	dir := t.TempDir()
	script := []string{"/mlsd start visual-search"}
	for range 14 {
		script = append(script, "skip")
	}
	script = append(script, "/mlsd export")
	out, errOut, err := runWith(t, env("MLSD_DATA_DIR", dir, "USER", "ada", "MLSD_PICTURES", "off"), strings.Join(script, "\n")+"\n")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	m := regexp.MustCompile(`📄 file: (\S+\.csv)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no file path printed:\n%s", out)
	}
	data, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][2] != "ada" || recs[1][3] != "visual-search" {
		t.Fatalf("CSV %q (%v): want a header and ada's visual-search row", recs, err)
	}
}
