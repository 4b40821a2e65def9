package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// config is every setting, read from the environment (12-factor).
type config struct {
	DataDir      string
	ScenariosDir string
	RedisURL     string
	LogLevel     string
	LogFormat    string
	Location     *time.Location
	User         string // console user
}

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

// loadConfig reads the environment through getenv, so tests pass a map.
func loadConfig(getenv func(string) string) (config, error) {
	var probs envProblems
	c := config{
		DataDir:      getenv("MLSD_DATA_DIR"),
		ScenariosDir: getenv("MLSD_SCENARIOS_DIR"),
		RedisURL:     getenv("REDIS_URL"),
		LogLevel:     strings.ToLower(getenv("MLSD_LOG_LEVEL")),
		LogFormat:    strings.ToLower(getenv("MLSD_LOG_FORMAT")),
		User:         getenv("USER"),
		Location:     time.UTC,
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir(getenv)
		if c.DataDir == "" {
			probs.add("MLSD_DATA_DIR: not set and neither XDG_STATE_HOME nor HOME is set; set MLSD_DATA_DIR to a writable directory")
		}
	}
	if c.ScenariosDir != "" {
		if fi, err := os.Stat(c.ScenariosDir); err != nil || !fi.IsDir() {
			probs.add("MLSD_SCENARIOS_DIR: %q is not a readable directory", c.ScenariosDir)
		}
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		probs.add("MLSD_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		probs.add("MLSD_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	if tz := getenv("MLSD_TIMEZONE"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			probs.add("MLSD_TIMEZONE: unknown time zone %q (use an IANA name such as Europe/Berlin)", tz)
		} else {
			c.Location = loc
		}
	}
	return c, probs.err()
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
