package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mlsdbot/mlsd/bot/discord"
	"github.com/mlsdbot/mlsd/bot/llm"
	"github.com/mlsdbot/mlsd/bot/slack"
	"github.com/mlsdbot/mlsd/scenarios"
)

// configCmd implements "mlsd config check": every problem on its own line,
// non-zero exit when there is any. Secret values are never printed.
func configCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "check" {
		return errors.New("usage: mlsd config check")
	}
	var problems []string
	cfg, err := loadConfig(getenv)
	if err != nil {
		problems = append(problems, splitLines(err.Error())...)
	}
	if _, err := scenarios.Load(cfg.ScenariosDir); err != nil && cfg.ScenariosDir != "" {
		problems = append(problems, "MLSD_SCENARIOS_DIR: "+err.Error())
	}
	if cfg.RedisURL != "" && err == nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		store, oerr := openStore(pctx, cfg, nil)
		cancel()
		if oerr != nil {
			problems = append(problems, oerr.Error())
		} else {
			store.Close()
		}
	}
	judge := "off"
	if cfg.LLMURL != "" && err == nil {
		// One tiny call, so a wrong URL, key or model shows now, not in
		// the first interview.
		j, jerr := llm.New(llm.Options{BaseURL: cfg.LLMURL, APIKey: cfg.LLMAPIKey, Model: cfg.LLMModel})
		if jerr == nil {
			pctx, cancel := context.WithTimeout(ctx, cfg.LLMTimeout)
			jerr = j.Ping(pctx)
			cancel()
		}
		if jerr != nil {
			problems = append(problems, "MLSD_LLM_URL: the test call failed: "+jerr.Error())
		}
		judge = "on (" + cfg.LLMModel + ")"
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		return fmt.Errorf("configuration has %d problem(s)", len(problems))
	}
	mode := "console (no Slack or Discord token set)"
	switch {
	case cfg.slackEnabled() && cfg.discordEnabled():
		mode = "Slack and Discord"
	case cfg.slackEnabled():
		mode = "Slack"
	case cfg.discordEnabled():
		mode = "Discord"
	}
	fmt.Fprintf(stdout, "configuration ok: %s, store %s, AI judge %s\n", mode, storeKind(cfg), judge)
	return nil
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// discordCmd implements "mlsd discord register [--guild ID]".
func discordCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "register" {
		return errors.New("usage: mlsd discord register [--guild ID]")
	}
	fs := flag.NewFlagSet("mlsd discord register", flag.ContinueOnError)
	fs.SetOutput(stderr)
	guild := fs.String("guild", "", "register in this guild only (instant); default: globally (may take up to an hour)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if !cfg.discordEnabled() {
		return errors.New("DISCORD_BOT_TOKEN and DISCORD_APP_ID are required to register commands")
	}
	a, err := discord.New(discord.Config{Token: cfg.DiscordToken, AppID: cfg.DiscordAppID, APIURL: cfg.DiscordAPIURL})
	if err != nil {
		return err
	}
	if err := a.Register(ctx, *guild); err != nil {
		return err
	}
	where := "globally"
	if *guild != "" {
		where = "in guild " + *guild
	}
	fmt.Fprintf(stdout, "registered /mlsd %s\n", where)
	return nil
}

// healthcheck probes this instance's /healthz; the container HEALTHCHECK
// runs it because the runtime image has no curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	addr := getenv("MLSD_HTTP_ADDR")
	if addr == "" {
		addr = defaultHTTPAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("MLSD_HTTP_ADDR: %q is not host:port", addr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}

// slackCmd implements "mlsd slack manifest [--http URL]": the app manifest
// to paste into api.slack.com (Socket Mode, or HTTP mode at URL).
func slackCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "manifest" {
		return errors.New("usage: mlsd slack manifest [--http https://bot.example.com]")
	}
	fs := flag.NewFlagSet("mlsd slack manifest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("http", "", "public base URL for HTTP mode (default: Socket Mode)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	out, err := slack.ManifestYAML(*base)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}
