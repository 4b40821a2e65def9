package main

import (
	"strings"
	"testing"
	"time"
)

func readerOf(vars map[string]string) *envReader {
	return &envReader{getenv: func(k string) string { return vars[k] }}
}

// Each area of the configuration is read and checked on its own; every
// problem names its variable.
func TestLoadCore(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		want string // a problem, or "" for none
		ok   func(c config) bool
	}{
		{"defaults", map[string]string{"HOME": "/home/ada"}, "", func(c config) bool {
			return c.DataDir == "/home/ada/.local/state/mlsd" && c.ShutdownTimeout == defaultShutdownTimeout && c.Location == time.UTC
		}},
		{"zone", map[string]string{"HOME": "/h", "MLSD_TIMEZONE": "Europe/Berlin"}, "", func(c config) bool { return c.Location.String() == "Europe/Berlin" }},
		{"bad zone", map[string]string{"HOME": "/h", "MLSD_TIMEZONE": "Mars/Olympus"}, "MLSD_TIMEZONE: unknown time zone", nil},
		{"bad duration", map[string]string{"HOME": "/h", "MLSD_NUDGE_AFTER": "soon"}, "MLSD_NUDGE_AFTER: \"soon\" is not a positive duration", nil},
		{"abandon before nudge", map[string]string{"HOME": "/h", "MLSD_NUDGE_AFTER": "2h", "MLSD_ABANDON_AFTER": "1h"}, "MLSD_ABANDON_AFTER (1h0m0s) must be longer", nil},
		{"bad redis", map[string]string{"HOME": "/h", "REDIS_URL": "http://x"}, "REDIS_URL: not a redis://", nil},
		{"redis prefix", map[string]string{"HOME": "/h", "REDIS_URL": "redis://r:6379/0", "MLSD_REDIS_PREFIX": "team-b:v1"}, "", func(c config) bool { return c.RedisPrefix == "team-b:v1" }},
		{"bad redis prefix", map[string]string{"HOME": "/h", "MLSD_REDIS_PREFIX": "a{b}"}, "MLSD_REDIS_PREFIX: \"a{b}\" must be at most 64 characters", nil},
		{"bad log level", map[string]string{"HOME": "/h", "MLSD_LOG_LEVEL": "loud"}, "MLSD_LOG_LEVEL", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := readerOf(tt.vars)
			var c config
			e.loadCore(&c)
			checkArea(t, e, tt.want, tt.ok == nil || tt.ok(c))
		})
	}
}

func TestLoadSlack(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"off", map[string]string{}, ""},
		{"socket mode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, ""},
		{"http mode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, ""},
		{"bot token alone", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET: one is required"},
		{"wrong token kind", map[string]string{"SLACK_BOT_TOKEN": "xapp-1", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN: a bot token starts with xoxb-"},
		{"both value and file", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_BOT_TOKEN_FILE": "/x", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are both set"},
		{"bad api url", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"},
		{"workspace rate", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "MLSD_SLACK_WORKSPACE_RATE": "2.5"}, ""},
		{"bad workspace rate", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "MLSD_SLACK_WORKSPACE_RATE": "fast"}, "MLSD_SLACK_WORKSPACE_RATE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := readerOf(tt.vars)
			var c config
			e.loadSlack(&c)
			checkArea(t, e, tt.want, true)
		})
	}
}

func TestLoadDiscordAndHTTP(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		name     string
		vars     map[string]string
		want     string
		httpAddr string
	}{
		{"gateway", map[string]string{"DISCORD_BOT_TOKEN": "Bot t", "DISCORD_APP_ID": "123"}, "", ""},
		{"http interactions get the default address", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "123", "DISCORD_PUBLIC_KEY": key}, "", defaultHTTPAddr},
		{"token without app id", map[string]string{"DISCORD_BOT_TOKEN": "t"}, "DISCORD_APP_ID: required", ""},
		{"bad public key", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "1", "DISCORD_PUBLIC_KEY": "xyz"}, "DISCORD_PUBLIC_KEY: expected 64 hex", defaultHTTPAddr},
		{"bad shards", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "1", "DISCORD_SHARD_ID": "2", "DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_ID and DISCORD_SHARD_COUNT", ""},
		{"bad listen address", map[string]string{"MLSD_HTTP_ADDR": "8080"}, "MLSD_HTTP_ADDR: \"8080\" is not host:port", "8080"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := readerOf(tt.vars)
			var c config
			e.loadDiscord(&c)
			e.loadHTTP(&c)
			checkArea(t, e, tt.want, c.HTTPAddr == tt.httpAddr && !strings.HasPrefix(c.DiscordToken, "Bot "))
		})
	}
}

func checkArea(t *testing.T, e *envReader, want string, ok bool) {
	t.Helper()
	err := e.probs.err()
	switch {
	case want == "" && err != nil:
		t.Fatalf("problems %v, want none", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("problems %v, want one containing %q", err, want)
	case !ok:
		t.Fatal("the values read are not the expected ones")
	}
}

func TestLoadLLM(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		want string
		on   bool
	}{
		{"off by default", map[string]string{}, "", false},
		{"local server, no key", map[string]string{"MLSD_LLM_URL": "http://localhost:11434/v1", "MLSD_LLM_MODEL": "llama3.1"}, "", true},
		{"model required", map[string]string{"MLSD_LLM_URL": "https://api.openai.com/v1"}, "MLSD_LLM_MODEL: required", true},
		{"key without url", map[string]string{"MLSD_LLM_API_KEY": "sk-x"}, "MLSD_LLM_URL: required when MLSD_LLM_API_KEY", false},
		{"not a url", map[string]string{"MLSD_LLM_URL": "localhost:11434", "MLSD_LLM_MODEL": "m"}, "MLSD_LLM_URL: \"localhost:11434\" is not an http(s) URL", true},
		{"bad budget", map[string]string{"MLSD_LLM_URL": "http://h/v1", "MLSD_LLM_MODEL": "m", "MLSD_LLM_DAILY_TOKENS": "lots"}, "MLSD_LLM_DAILY_TOKENS", true},
		{"bad timeout", map[string]string{"MLSD_LLM_URL": "http://h/v1", "MLSD_LLM_MODEL": "m", "MLSD_LLM_TIMEOUT": "-1s"}, "MLSD_LLM_TIMEOUT", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := readerOf(tt.vars)
			var c config
			e.loadLLM(&c)
			checkArea(t, e, tt.want, (c.LLMURL != "") == tt.on && c.LLMTimeout > 0)
		})
	}
}
