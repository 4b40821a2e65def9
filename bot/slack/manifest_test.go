package slack

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"gopkg.in/yaml.v3"
)

func decodeManifest(t *testing.T, data []byte) slack.Manifest {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true) // a misspelt or unknown key fails
	var m slack.Manifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest does not decode strictly into slack.Manifest: %v", err)
	}
	return m
}

// TestManifest checks deploy/slack/manifest.yaml against the code: it is
// exactly the Socket Mode manifest the adapter generates, it subscribes
// to every event the adapter handles (and nothing it ignores), and it
// grants every scope those events and the adapter's API calls need.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("../../deploy/slack/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := decodeManifest(t, data)
	want, err := Manifest("")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deploy/slack/manifest.yaml differs from Manifest(\"\") (-code +file):\n%s", diff)
	}

	events := got.Settings.EventSubscriptions.BotEvents
	scopes := got.OAuthConfig.Scopes.Bot
	for _, e := range events {
		typ, _, _ := strings.Cut(e, ".")
		if !handledEvents[typ] {
			t.Errorf("the manifest subscribes to %s, which the adapter does not handle", e)
		}
		need, known := eventScopes[e]
		if !known {
			t.Errorf("no scope is recorded for event %s", e)
		}
		if need != "" && !slices.Contains(scopes, need) {
			t.Errorf("event %s needs scope %s, missing from the manifest", e, need)
		}
	}
	for typ := range handledEvents {
		if !slices.ContainsFunc(events, func(e string) bool { return e == typ || strings.HasPrefix(e, typ+".") }) {
			t.Errorf("the adapter handles %s but the manifest does not subscribe to it", typ)
		}
	}
	for method, need := range methodScopes {
		for _, s := range need {
			if !slices.Contains(scopes, s) {
				t.Errorf("%s needs scope %s, missing from the manifest", method, s)
			}
		}
	}
	switch {
	case !got.Settings.SocketModeEnabled:
		t.Error("socket mode is off")
	case got.Settings.Interactivity == nil || !got.Settings.Interactivity.IsEnabled:
		t.Error("interactivity (buttons, modals) is off")
	case !got.Features.AppHome.HomeTabEnabled:
		t.Error("the Home tab is off")
	case len(got.Features.SlashCommands) != 1 || got.Features.SlashCommands[0].Command != "/mlsd":
		t.Errorf("slash commands = %+v, want /mlsd", got.Features.SlashCommands)
	}
}

func TestManifestHTTP(t *testing.T) {
	raw, err := ManifestYAML("https://mlsd.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	m := decodeManifest(t, raw)
	want, _ := Manifest("https://mlsd.example.com/")
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("ManifestYAML does not round-trip (-want +got):\n%s", diff)
	}
	if m.Settings.SocketModeEnabled {
		t.Error("the HTTP variant enables socket mode")
	}
	for name, got := range map[string]string{
		"events":      m.Settings.EventSubscriptions.RequestUrl,
		"interactive": m.Settings.Interactivity.RequestUrl,
		"command":     m.Features.SlashCommands[0].Url,
	} {
		if !strings.HasPrefix(got, "https://mlsd.example.com/slack/") {
			t.Errorf("%s request URL = %q", name, got)
		}
	}
	for _, bad := range []string{"mlsd.example.com", "ftp://x", "://"} {
		if _, err := ManifestYAML(bad); err == nil {
			t.Errorf("ManifestYAML(%q) accepted a bad URL", bad)
		}
	}
	socket, err := ManifestYAML("")
	if err != nil {
		t.Fatal(err)
	}
	want, _ = Manifest("")
	if diff := cmp.Diff(want, decodeManifest(t, socket)); diff != "" {
		t.Errorf("the Socket Mode YAML does not round-trip (-want +got):\n%s", diff)
	}
}
