package slack

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// eventScopes maps each subscribed event to the bot scope it needs ("" for
// none). The manifest subscribes to exactly these, and each is handled
// (see handledEvents; message.* events all arrive as "message").
var eventScopes = map[string]string{
	"app_home_opened":  "",
	"app_mention":      "app_mentions:read",
	"app_uninstalled":  "",
	"message.channels": "channels:history", // replies in public channels
	"message.groups":   "groups:history",   // replies in private channels the bot was invited to
	"message.im":       "im:history",       // replies in a DM with the bot
	"message.mpim":     "mpim:history",     // replies in group DMs the bot is in
	"tokens_revoked":   "",
}

// methodScopes maps each Web API method the adapter calls (and the slash
// command) to the bot scopes it needs. views.open, views.publish and
// auth.test need none; response_url needs no token at all.
var methodScopes = map[string][]string{
	"chat.postMessage":   {"chat:write"},
	"chat.postEphemeral": {"chat:write"},
	"chat.update":        {"chat:write"},                                           // takes the buttons off an earlier question
	"conversations.info": {"channels:read", "groups:read", "im:read", "mpim:read"}, // by channel type
	"conversations.join": {"channels:join"},
	"users.info":         {"users:read"}, // display names and admin flag
	"views.open":         nil,
	// Pictures (diagrams, report cards) are shared with the three-step upload.
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	// Slack has no private files: a private picture (the /mlsd me chart)
	// or file (an admin's export) goes to the user's DM with the bot, where
	// the Home tab's Drill button runs the drill too.
	"conversations.open": {"im:write"},
	"views.publish":      nil,
	"auth.test":          nil,
	"/mlsd":              {"commands"},
}

// Command is the slash command the app registers.
const Command = "/mlsd"

// Scopes returns every bot scope the adapter needs, sorted.
func Scopes() []string {
	var all []string
	for _, s := range eventScopes {
		if s != "" {
			all = append(all, s)
		}
	}
	for _, ss := range methodScopes {
		all = append(all, ss...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// Manifest is the Slack app manifest. With an empty httpBaseURL it is
// the Socket Mode variant; otherwise requests go to httpBaseURL plus
// EventsPath, CommandsPath and InteractivePath.
func Manifest(httpBaseURL string) (slack.Manifest, error) {
	var events []string
	for e := range eventScopes {
		events = append(events, e)
	}
	slices.Sort(events)
	m := slack.Manifest{
		Metadata: slack.ManifestMetadata{MajorVersion: 1, MinorVersion: 1},
		Display: slack.Display{
			Name:            "MLSD",
			Description:     "Mock ML system design interviews in Slack threads, with explainable scores and a leaderboard",
			BackgroundColor: "#1d3557",
		},
		Features: slack.Features{
			AppHome: slack.AppHome{HomeTabEnabled: true, MessagesTabEnabled: true},
			BotUser: slack.BotUser{DisplayName: "MLSD", AlwaysOnline: true},
			SlashCommands: []slack.ManifestSlashCommand{{
				Command:     Command,
				Description: "Practise ML system design: start an interview, see scenarios, the leaderboard or your stats",
				UsageHint:   "start [scenario|random] [mock|practice] | scenarios | leaderboard [week|month|all] | me | drill [step] [scenario] | history | report N | team | optout | optin | forget me | status | diagram scenario | export [YYYY-MM] | help",
			}},
		},
		OAuthConfig: slack.OAuthConfig{Scopes: slack.OAuthScopes{Bot: Scopes()}},
		Settings: slack.Settings{
			EventSubscriptions: &slack.EventSubscriptions{BotEvents: events},
			Interactivity:      &slack.Interactivity{IsEnabled: true},
			SocketModeEnabled:  true,
		},
	}
	if httpBaseURL == "" {
		return m, nil
	}
	u, err := url.Parse(httpBaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return slack.Manifest{}, errors.New("slack manifest: --http needs the bot's public base URL, like https://mlsd.example.com")
	}
	base := strings.TrimRight(httpBaseURL, "/")
	m.Settings.SocketModeEnabled = false
	m.Settings.EventSubscriptions.RequestUrl = base + EventsPath
	m.Settings.Interactivity.RequestUrl = base + InteractivePath
	m.Features.SlashCommands[0].Url = base + CommandsPath
	return m, nil
}

// ManifestYAML renders Manifest as YAML for "mlsd slack manifest". The
// emitter covers exactly the fields Manifest sets (a test decodes the
// output strictly and compares), which keeps a YAML library out of the
// adapter's dependencies.
func ManifestYAML(httpBaseURL string) ([]byte, error) {
	m, err := Manifest(httpBaseURL)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	line := func(indent int, key string, value any) {
		b.WriteString(strings.Repeat("  ", indent) + key)
		switch v := value.(type) {
		case nil:
		case string:
			b.WriteString(" " + strconv.Quote(v))
		default:
			fmt.Fprintf(&b, " %v", v)
		}
		b.WriteString("\n")
	}
	optional := func(indent int, key, value string) {
		if value != "" {
			line(indent, key, value)
		}
	}
	mode := "Socket Mode: create an app-level token with connections:write and set SLACK_APP_TOKEN."
	if httpBaseURL != "" {
		mode = "HTTP mode: set SLACK_SIGNING_SECRET (Basic Information → App Credentials)."
	}
	b.WriteString("# MLSD Slack app manifest. Paste it at https://api.slack.com/apps → Create New App → From a manifest.\n# " + mode + "\n")
	line(0, "_metadata:", nil)
	line(1, "major_version:", m.Metadata.MajorVersion)
	line(1, "minor_version:", m.Metadata.MinorVersion)
	line(0, "display_information:", nil)
	line(1, "name:", m.Display.Name)
	line(1, "description:", m.Display.Description)
	line(1, "background_color:", m.Display.BackgroundColor)
	line(0, "features:", nil)
	line(1, "app_home:", nil)
	line(2, "home_tab_enabled:", m.Features.AppHome.HomeTabEnabled)
	line(2, "messages_tab_enabled:", m.Features.AppHome.MessagesTabEnabled)
	line(2, "messages_tab_read_only_enabled:", m.Features.AppHome.MessagesTabReadOnlyEnabled)
	line(1, "bot_user:", nil)
	line(2, "display_name:", m.Features.BotUser.DisplayName)
	line(2, "always_online:", m.Features.BotUser.AlwaysOnline)
	line(1, "slash_commands:", nil)
	for _, c := range m.Features.SlashCommands {
		line(2, "- command:", c.Command)
		line(3, "description:", c.Description)
		optional(3, "usage_hint:", c.UsageHint)
		optional(3, "url:", c.Url)
		line(3, "should_escape:", c.ShouldEscape)
	}
	line(0, "oauth_config:", nil)
	line(1, "scopes:", nil)
	line(2, "bot:", nil)
	for _, sc := range m.OAuthConfig.Scopes.Bot {
		line(3, "-", sc)
	}
	line(0, "settings:", nil)
	line(1, "event_subscriptions:", nil)
	optional(2, "request_url:", m.Settings.EventSubscriptions.RequestUrl)
	line(2, "bot_events:", nil)
	for _, e := range m.Settings.EventSubscriptions.BotEvents {
		line(3, "-", e)
	}
	line(1, "interactivity:", nil)
	line(2, "is_enabled:", m.Settings.Interactivity.IsEnabled)
	optional(2, "request_url:", m.Settings.Interactivity.RequestUrl)
	line(1, "org_deploy_enabled:", m.Settings.OrgDeployEnabled)
	line(1, "socket_mode_enabled:", m.Settings.SocketModeEnabled)
	line(1, "token_rotation_enabled:", m.Settings.TokenRotationEnabled)
	return []byte(b.String()), nil
}
