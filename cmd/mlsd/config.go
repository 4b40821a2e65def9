package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is every setting, read from the environment (12-factor). The
// README's configuration table documents each variable and its default.
type config struct {
	DataDir      string
	ScenariosDir string
	RedisURL     string
	RedisPrefix  string // MLSD_REDIS_PREFIX; "" is redis.DefaultPrefix
	HTTPAddr     string
	LogLevel     string
	LogFormat    string // "text", "json" or "" (text on a terminal, else JSON)
	Location     *time.Location
	User         string // console user

	ShutdownTimeout time.Duration
	NudgeAfter      time.Duration
	AbandonAfter    time.Duration
	DailyGrace      time.Duration
	// OutboxGrace is the age at which saved replies no process confirmed
	// are sent by the sweeper (MLSD_OUTBOX_GRACE).
	OutboxGrace time.Duration

	SlackBotToken      string
	SlackAppToken      string
	SlackSigningSecret string
	SlackAPIURL        string
	// SlackWorkspaceRate is the messages a second all replicas post in a
	// workspace together (MLSD_SLACK_WORKSPACE_RATE); 0 means the
	// adapter's default.
	SlackWorkspaceRate float64

	DiscordToken          string
	DiscordAppID          string
	DiscordPublicKey      string
	DiscordAPIURL         string
	DiscordGuilds         []string
	DiscordMessageContent bool
	DiscordShardID        int
	DiscordShardCount     int

	LLMURL         string // unset: the AI judge is off
	LLMAPIKey      string
	LLMModel       string
	LLMTimeout     time.Duration
	LLMDailyTokens int

	// PicturesOff turns diagrams and charts off (MLSD_PICTURES=off).
	PicturesOff bool
}

// secrets may also come from files (NAME_FILE), for Kubernetes and Docker
// secrets. Their values are never printed.
var secretVars = []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_BOT_TOKEN", "DISCORD_PUBLIC_KEY", "REDIS_URL", "MLSD_LLM_API_KEY"}

// Defaults.
const (
	defaultHTTPAddr        = ":8080"
	defaultShutdownTimeout = 25 * time.Second
	defaultNudgeAfter      = 24 * time.Hour
	defaultAbandonAfter    = 72 * time.Hour
	defaultDailyGrace      = 2 * time.Hour
	defaultOutboxGrace     = 30 * time.Second // bot.DefaultOutboxGrace
	defaultLLMTimeout      = 20 * time.Second
)

// envProblems collects every configuration problem so a user fixes them
// all in one go.
type envProblems []string

func (p *envProblems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p envProblems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n"))
}

// slackEnabled and discordEnabled say which platforms to connect.
func (c config) slackEnabled() bool   { return c.SlackBotToken != "" }
func (c config) discordEnabled() bool { return c.DiscordToken != "" }

// needsHTTP reports whether an HTTP-mode platform needs the server.
func (c config) needsHTTP() bool {
	return (c.slackEnabled() && c.SlackAppToken == "") || c.DiscordPublicKey != ""
}

// envReader reads the environment through getenv, so tests pass a map, and
// collects every problem so a user fixes them all in one go.
type envReader struct {
	getenv func(string) string
	probs  envProblems
}

// secret reads NAME or the file named by NAME_FILE (never both).
func (e *envReader) secret(name string) string {
	v, file := e.getenv(name), e.getenv(name+"_FILE")
	switch {
	case file == "":
		return strings.TrimSpace(v)
	case v != "":
		e.probs.add("%s and %s_FILE are both set; use one", name, name)
		return ""
	}
	data, err := os.ReadFile(file)
	if err != nil {
		e.probs.add("%s_FILE: cannot read %s: %v", name, file, errors.Unwrap(err))
		return ""
	}
	return strings.TrimSpace(string(data))
}

// duration reads a positive duration, def when unset.
func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.probs.add("%s: %q is not a positive duration such as 30s, 24h", name, v)
		return def
	}
	return d
}

// httpURL checks an optional http(s) URL setting.
func (e *envReader) httpURL(name, v string) {
	if v == "" {
		return
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.probs.add("%s: %q is not an http(s) URL", name, v)
	}
}

// loadConfig reads the environment through getenv, so tests pass a map.
// It reports every problem at once, one per line, each naming its variable.
func loadConfig(getenv func(string) string) (config, error) {
	e := &envReader{getenv: getenv}
	c := config{}
	e.loadCore(&c)
	e.loadSlack(&c)
	e.loadDiscord(&c)
	e.loadHTTP(&c)
	e.loadLLM(&c)
	e.loadPictures(&c)
	return c, e.probs.err()
}

// loadCore reads the storage, logging, time and timing settings.
func (e *envReader) loadCore(c *config) {
	getenv := e.getenv
	c.DataDir = getenv("MLSD_DATA_DIR")
	c.ScenariosDir = getenv("MLSD_SCENARIOS_DIR")
	c.RedisURL = e.secret("REDIS_URL")
	c.RedisPrefix = getenv("MLSD_REDIS_PREFIX")
	c.LogLevel = strings.ToLower(getenv("MLSD_LOG_LEVEL"))
	c.LogFormat = strings.ToLower(getenv("MLSD_LOG_FORMAT"))
	c.User = getenv("USER")
	c.Location = time.UTC
	if c.DataDir == "" {
		c.DataDir = defaultDataDir(getenv)
		if c.DataDir == "" && c.RedisURL == "" {
			e.probs.add("MLSD_DATA_DIR: not set and neither XDG_STATE_HOME nor HOME is set; set it to a writable directory")
		}
	}
	if c.ScenariosDir != "" {
		if fi, err := os.Stat(c.ScenariosDir); err != nil || !fi.IsDir() {
			e.probs.add("MLSD_SCENARIOS_DIR: %q is not a readable directory", c.ScenariosDir)
		}
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		e.probs.add("MLSD_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		e.probs.add("MLSD_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	if tz := getenv("MLSD_TIMEZONE"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			e.probs.add("MLSD_TIMEZONE: unknown time zone %q (use an IANA name such as Europe/Berlin)", tz)
		} else {
			c.Location = loc
		}
	}
	c.ShutdownTimeout = e.duration("MLSD_SHUTDOWN_TIMEOUT", defaultShutdownTimeout)
	c.NudgeAfter = e.duration("MLSD_NUDGE_AFTER", defaultNudgeAfter)
	c.AbandonAfter = e.duration("MLSD_ABANDON_AFTER", defaultAbandonAfter)
	c.DailyGrace = e.duration("MLSD_DAILY_GRACE", defaultDailyGrace)
	c.OutboxGrace = e.duration("MLSD_OUTBOX_GRACE", defaultOutboxGrace)
	if c.AbandonAfter <= c.NudgeAfter {
		e.probs.add("MLSD_ABANDON_AFTER (%s) must be longer than MLSD_NUDGE_AFTER (%s)", c.AbandonAfter, c.NudgeAfter)
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			e.probs.add("REDIS_URL: not a redis:// or rediss:// URL with a host")
		}
	}
	if p := c.RedisPrefix; p != "" && (strings.ContainsAny(p, "{} \t\n") || len(p) > 64) {
		e.probs.add("MLSD_REDIS_PREFIX: %q must be at most 64 characters, without spaces or braces", p)
	}
}

// loadSlack reads Slack's settings: the bot token plus exactly one of the
// app token (Socket Mode) or the signing secret (HTTP mode).
func (e *envReader) loadSlack(c *config) {
	c.SlackBotToken = e.secret("SLACK_BOT_TOKEN")
	c.SlackAppToken = e.secret("SLACK_APP_TOKEN")
	c.SlackSigningSecret = e.secret("SLACK_SIGNING_SECRET")
	c.SlackAPIURL = e.getenv("SLACK_API_URL")
	switch {
	case c.SlackBotToken == "" && (c.SlackAppToken != "" || c.SlackSigningSecret != ""):
		e.probs.add("SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set")
	case c.SlackBotToken != "" && c.SlackAppToken == "" && c.SlackSigningSecret == "":
		e.probs.add("SLACK_APP_TOKEN or SLACK_SIGNING_SECRET: one is required with SLACK_BOT_TOKEN (Socket Mode or HTTP mode)")
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		e.probs.add("SLACK_BOT_TOKEN: a bot token starts with xoxb-")
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		e.probs.add("SLACK_APP_TOKEN: an app-level token starts with xapp-")
	}
	e.httpURL("SLACK_API_URL", c.SlackAPIURL)
	if v := e.getenv("MLSD_SLACK_WORKSPACE_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > 1000 {
			e.probs.add("MLSD_SLACK_WORKSPACE_RATE: %q is not a number of messages a second between 0 and 1000 (default 4.5)", v)
		} else {
			c.SlackWorkspaceRate = r
		}
	}
}

// loadDiscord reads Discord's settings: the bot token and application id
// together; the public key selects HTTP interactions.
func (e *envReader) loadDiscord(c *config) {
	getenv := e.getenv
	c.DiscordToken = strings.TrimPrefix(e.secret("DISCORD_BOT_TOKEN"), "Bot ")
	c.DiscordAppID = getenv("DISCORD_APP_ID")
	c.DiscordPublicKey = e.secret("DISCORD_PUBLIC_KEY")
	c.DiscordAPIURL = getenv("DISCORD_API_URL")
	e.httpURL("DISCORD_API_URL", c.DiscordAPIURL)
	switch {
	case c.DiscordToken != "" && c.DiscordAppID == "":
		e.probs.add("DISCORD_APP_ID: required with DISCORD_BOT_TOKEN")
	case c.DiscordToken == "" && (c.DiscordAppID != "" || c.DiscordPublicKey != ""):
		e.probs.add("DISCORD_BOT_TOKEN: required when DISCORD_APP_ID or DISCORD_PUBLIC_KEY is set")
	}
	if c.DiscordAppID != "" {
		if _, err := strconv.ParseUint(c.DiscordAppID, 10, 64); err != nil {
			e.probs.add("DISCORD_APP_ID: %q is not a numeric application id", c.DiscordAppID)
		}
	}
	if k := c.DiscordPublicKey; k != "" && (len(k) != 64 || strings.Trim(strings.ToLower(k), "0123456789abcdef") != "") {
		e.probs.add("DISCORD_PUBLIC_KEY: expected 64 hex characters")
	}
	if g := getenv("MLSD_DISCORD_GUILDS"); g != "" {
		for _, id := range strings.FieldsFunc(g, func(r rune) bool { return r == ',' || r == ' ' }) {
			if _, err := strconv.ParseUint(id, 10, 64); err != nil {
				e.probs.add("MLSD_DISCORD_GUILDS: %q is not a numeric guild id", id)
				continue
			}
			c.DiscordGuilds = append(c.DiscordGuilds, id)
		}
	}
	switch v := strings.ToLower(getenv("MLSD_DISCORD_MESSAGE_CONTENT")); v {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		c.DiscordMessageContent = true
	default:
		e.probs.add("MLSD_DISCORD_MESSAGE_CONTENT: %q is not true or false", v)
	}
	sid, scount := getenv("DISCORD_SHARD_ID"), getenv("DISCORD_SHARD_COUNT")
	if sid != "" || scount != "" {
		id, err1 := strconv.Atoi(sid)
		n, err2 := strconv.Atoi(scount)
		if err1 != nil || err2 != nil || n < 1 || id < 0 || id >= n {
			e.probs.add("DISCORD_SHARD_ID and DISCORD_SHARD_COUNT: set both, with 0 <= id < count")
		} else {
			c.DiscordShardID, c.DiscordShardCount = id, n
		}
	}
}

// loadHTTP reads the listen address, defaulting it when an HTTP-mode
// platform needs the server. It runs after the platforms are read.
func (e *envReader) loadHTTP(c *config) {
	c.HTTPAddr = e.getenv("MLSD_HTTP_ADDR")
	if c.HTTPAddr == "" && c.needsHTTP() {
		c.HTTPAddr = defaultHTTPAddr
	}
	if c.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			e.probs.add("MLSD_HTTP_ADDR: %q is not host:port (for example :8080)", c.HTTPAddr)
		}
	}
}

// loadLLM reads the optional AI judge's settings: off unless MLSD_LLM_URL
// is set, and then a model is required.
func (e *envReader) loadLLM(c *config) {
	c.LLMURL = strings.TrimRight(e.getenv("MLSD_LLM_URL"), "/")
	c.LLMAPIKey = e.secret("MLSD_LLM_API_KEY")
	c.LLMModel = e.getenv("MLSD_LLM_MODEL")
	c.LLMTimeout = e.duration("MLSD_LLM_TIMEOUT", defaultLLMTimeout)
	if v := e.getenv("MLSD_LLM_DAILY_TOKENS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			e.probs.add("MLSD_LLM_DAILY_TOKENS: %q is not a whole number of tokens (0 means no budget)", v)
		}
		c.LLMDailyTokens = max(0, n)
	}
	if c.LLMURL == "" {
		for _, name := range []string{"MLSD_LLM_API_KEY", "MLSD_LLM_MODEL"} {
			if e.getenv(name) != "" || e.getenv(name+"_FILE") != "" {
				e.probs.add("MLSD_LLM_URL: required when %s is set (the AI judge is off without it)", name)
			}
		}
		return
	}
	e.httpURL("MLSD_LLM_URL", c.LLMURL)
	if c.LLMModel == "" {
		e.probs.add("MLSD_LLM_MODEL: required with MLSD_LLM_URL (for example gpt-4.1-mini, or llama3.1 on Ollama)")
	}
}

// defaultDataDir is $XDG_STATE_HOME/mlsd, else ~/.local/state/mlsd.
func defaultDataDir(getenv func(string) string) string {
	if x := getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "mlsd")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "mlsd")
	}
	return ""
}
