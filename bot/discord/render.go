package discord

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/mlsdbot/mlsd/bot"
)

// Discord limits (docs: resources/message, components/reference).
const (
	maxContent       = 2000
	maxEmbedsPerMsg  = 10
	maxEmbedTotal    = 6000
	maxEmbedDesc     = 4096
	maxEmbedTitle    = 256
	maxFields        = 25
	maxFieldName     = 256
	maxFieldValue    = 1024
	maxCustomID      = 100
	maxButtonLabel   = 80
	maxButtonsPerRow = 5
	maxRows          = 5
	maxModalTitle    = 45
	maxInputLabel    = 45
	maxInputLength   = 4000
	maxThreadName    = 100
)

// Custom id prefixes. A click's custom id carries only the choice value;
// the domain re-checks who clicked and whether the step is still current.
const (
	idButton = "mlsd:b:" // ordinary choice: deferred, then Handle
	idForm   = "mlsd:f:" // choice that may open a modal: Handle, then respond
	idModal  = "mlsd:m:" // modal submission, carrying Form.Context
)

// noMentions is sent on every message: user text can never ping anyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// message is one Discord message ready to send any way (channel post,
// interaction response, follow-up, edit).
type message struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
}

func (m message) send() *discordgo.MessageSend {
	return &discordgo.MessageSend{Content: m.Content, Embeds: m.Embeds, Components: m.Components, AllowedMentions: noMentions()}
}

func (m message) webhook(flags discordgo.MessageFlags) *discordgo.WebhookParams {
	return &discordgo.WebhookParams{Content: m.Content, Embeds: m.Embeds, Components: m.Components, AllowedMentions: noMentions(), Flags: flags}
}

func (m message) edit() *discordgo.WebhookEdit {
	content, embeds, comps := m.Content, m.Embeds, m.Components
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	return &discordgo.WebhookEdit{Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: noMentions()}
}

func (m message) response(flags discordgo.MessageFlags) *discordgo.InteractionResponseData {
	return &discordgo.InteractionResponseData{Content: m.Content, Embeds: m.Embeds, Components: m.Components, AllowedMentions: noMentions(), Flags: flags}
}

// render turns one Outbound into messages within Discord's limits: a
// report becomes embeds, any other text is split at 2,000 characters, and
// the choices ride on the last message.
func render(out bot.Outbound) []message {
	var msgs []message
	if out.Report != nil {
		msgs = reportMessages(out.Report)
	} else {
		for _, chunk := range splitContent(out.Text, maxContent) {
			msgs = append(msgs, message{Content: chunk})
		}
	}
	if rows := buttons(out.Choices); len(rows) > 0 {
		if len(msgs) == 0 {
			msgs = append(msgs, message{Content: "\u200b"})
		}
		msgs[len(msgs)-1].Components = rows
	}
	return msgs
}

// buttons lays choices out in rows of five; a choice whose value cannot
// fit a custom id is dropped rather than breaking the whole message.
func buttons(choices []bot.Choice) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	seen := map[string]bool{}
	for _, c := range choices {
		prefix := idButton
		if c.Kind == bot.ChoiceForm {
			prefix = idForm
		}
		id := prefix + c.Value
		if len(id) > maxCustomID || seen[id] || c.Label == "" {
			continue
		}
		seen[id] = true
		style := discordgo.SecondaryButton
		if c.Primary {
			style = discordgo.PrimaryButton
		}
		row = append(row, discordgo.Button{Label: clipRunes(c.Label, maxButtonLabel), Style: style, CustomID: id})
		if len(row) == maxButtonsPerRow {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	if len(rows) > maxRows {
		rows = rows[:maxRows]
	}
	return rows
}

// modal builds the answer form the way discordgo v0.29.0 can decode on
// submission: a legacy action row holding one paragraph text input (no
// type-18 Label component).
func modal(f *bot.Form) (*discordgo.InteractionResponse, bool) {
	id := idModal + f.Context
	if len(id) > maxCustomID {
		return nil, false
	}
	max := f.MaxLength
	if max <= 0 || max > maxInputLength {
		max = maxInputLength
	}
	title := f.Title
	if title == "" {
		title = "Your answer"
	}
	label := f.Label
	if label == "" {
		label = "Answer"
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{
			CustomID: id,
			Title:    clipRunes(title, maxModalTitle),
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.TextInput{CustomID: "answer", Label: clipRunes(label, maxInputLabel),
					Style: discordgo.TextInputParagraph, Required: true, MaxLength: max},
			}}},
		},
	}, true
}

// textLen is the length Discord enforces; counting UTF-16 units is never
// below its count, so a chunk that fits here fits there.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// splitContent cuts text into chunks of at most limit, preferring
// paragraph, then line, then word boundaries.
func splitContent(text string, limit int) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	var out []string
	for textLen(text) > limit {
		cut := prefixWithin(text, limit)
		best := -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(text[:cut], sep); i > 0 {
				best = i
				break
			}
		}
		if best <= 0 {
			best = cut
		}
		out = append(out, strings.TrimRight(text[:best], " \n"))
		text = strings.TrimLeft(text[best:], " \n")
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}

// prefixWithin returns the byte length of the longest prefix of s within
// limit UTF-16 units, cut at a rune boundary.
func prefixWithin(s string, limit int) int {
	n := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if n+w > limit {
			return i
		}
		n += w
	}
	return len(s)
}

// clipText shortens s to limit UTF-16 units with an ellipsis.
func clipText(s string, limit int) string {
	if textLen(s) <= limit {
		return s
	}
	cut := prefixWithin(s, limit-1)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// field is a titled block of a report.
type field struct{ name, value string }

// reportMessages renders a report as embeds: a summary with per-step bars,
// then pitfalls, strengths, gaps, the wrap-up and the reference outline,
// packed into as many messages as Discord's embed limits require.
func reportMessages(r *bot.Report) []message {
	var desc strings.Builder
	fmt.Fprintf(&desc, "**Score: %d/100 — %s** · %s points · %s mode", r.Score, bot.BandOf(r), trimFloat(r.Points), r.Mode)
	if r.HintsUsed > 0 {
		fmt.Fprintf(&desc, " · %d hint%s", r.HintsUsed, plural(r.HintsUsed))
	}
	desc.WriteString("\n\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&desc, "`%s` %d. %s — %s/%s", bar(s.Score, 10), int(s.Step), s.Title, trimFloat(s.Points), trimFloat(s.Max))
		var notes []string
		if s.Skipped {
			notes = append(notes, "skipped")
		}
		if s.Hints > 0 {
			notes = append(notes, fmt.Sprintf("%d hint%s", s.Hints, plural(s.Hints)))
		}
		notes = append(notes, s.Notes...)
		if len(notes) > 0 {
			fmt.Fprintf(&desc, " _(%s)_", strings.Join(notes, ", "))
		}
		desc.WriteString("\n")
	}
	if r.WrapUpBonus > 0 {
		fmt.Fprintf(&desc, "Wrap-up bonus: +%s\n", trimFloat(r.WrapUpBonus))
	}

	var fields []field
	if len(r.Pitfalls) > 0 {
		var b strings.Builder
		for _, p := range r.Pitfalls {
			fmt.Fprintf(&b, "- **%s** (−%d): %s\n", p.Name, p.Penalty, p.Detail)
		}
		fields = append(fields, field{"Pitfalls", b.String()})
	}
	var flags []string
	for _, f := range bot.FlagLines(r) {
		flags = append(flags, fmt.Sprintf("- %s — **%s**: “%s”", f.Where, f.Label, escapeInline(f.Evidence)))
	}
	if len(flags) > 0 {
		fields = append(fields, field{fmt.Sprintf("Red flags (−%d each)", bot.FlagSessionPenalty), strings.Join(flags, "\n")})
	}
	if credits := bot.CreditLines(r); len(credits) > 0 {
		var b strings.Builder
		for _, c := range credits {
			fmt.Fprintf(&b, "- %s — **%s** (%s): “%s”\n", c.Where, c.Label, c.Source, escapeInline(c.Evidence))
		}
		fields = append(fields, field{"Credits (rubric, AI judge or both)", b.String()})
	}
	if len(r.Strengths) > 0 {
		var b strings.Builder
		for _, m := range r.Strengths {
			fmt.Fprintf(&b, "- **%s**: “%s”\n", m.Label, escapeInline(m.Evidence))
		}
		fields = append(fields, field{"Strengths", b.String()})
	}
	if len(r.Gaps) > 0 {
		fields = append(fields, field{"Questions to study", "- " + strings.Join(r.Gaps, "\n- ")})
	}
	if len(r.WrapUp.Matches) > 0 || len(r.WrapUp.Missing) > 0 {
		var b strings.Builder
		for _, m := range r.WrapUp.Matches {
			fmt.Fprintf(&b, "- ✓ %s: “%s”\n", m.Label, m.Evidence)
		}
		for _, m := range r.WrapUp.Missing {
			fmt.Fprintf(&b, "- ✗ %s\n", m)
		}
		fields = append(fields, field{"Wrap-up", b.String()})
	}
	for _, s := range r.Outline {
		fields = append(fields, field{"Reference — " + s.Title, s.Text})
	}
	title := "Interview report"
	if r.ScenarioTitle != "" {
		title += " — " + r.ScenarioTitle
	}
	return packEmbeds(title, desc.String(), fields, scoreColor(r.Score))
}

// packEmbeds fits a titled description and fields into embeds and
// messages: values over 1,024 characters continue in further fields, an
// embed holds at most 25 fields, a message at most 10 embeds and 6,000
// characters.
func packEmbeds(title, desc string, fields []field, color int) []message {
	var msgs []message
	var cur message
	curTotal := 0
	first := &discordgo.MessageEmbed{Title: clipText(title, maxEmbedTitle), Color: color}
	descChunks := splitContent(desc, maxEmbedDesc)
	if len(descChunks) > 0 {
		first.Description = descChunks[0]
	}
	embeds := []*discordgo.MessageEmbed{first}
	for _, d := range descChunks[min(1, len(descChunks)):] {
		embeds = append(embeds, &discordgo.MessageEmbed{Description: d, Color: color})
	}
	embed := embeds[len(embeds)-1]
	for _, f := range fields {
		name := clipText(strings.TrimSpace(f.name), maxFieldName-len(" (cont.)"))
		for i, v := range splitContent(f.value, maxFieldValue) {
			n := name
			if i > 0 {
				n += " (cont.)"
			}
			if len(embed.Fields) == maxFields || embedChars(embeds)+textLen(n)+textLen(v) > maxEmbedTotal {
				embed = &discordgo.MessageEmbed{Color: color}
				embeds = append(embeds, embed)
			}
			embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: n, Value: v})
		}
	}
	for _, e := range embeds {
		size := embedChars([]*discordgo.MessageEmbed{e})
		if len(cur.Embeds) == maxEmbedsPerMsg || (len(cur.Embeds) > 0 && curTotal+size > maxEmbedTotal) {
			msgs = append(msgs, cur)
			cur, curTotal = message{}, 0
		}
		cur.Embeds = append(cur.Embeds, e)
		curTotal += size
	}
	if len(cur.Embeds) > 0 {
		msgs = append(msgs, cur)
	}
	return msgs
}

// embedChars counts what Discord's 6,000-character total counts, for the
// last embed being filled (earlier ones are already closed).
func embedChars(embeds []*discordgo.MessageEmbed) int {
	e := embeds[len(embeds)-1]
	n := textLen(e.Title) + textLen(e.Description)
	for _, f := range e.Fields {
		n += textLen(f.Name) + textLen(f.Value)
	}
	if e.Footer != nil {
		n += textLen(e.Footer.Text)
	}
	return n
}

func bar(score float64, width int) string {
	full := int(score*float64(width) + 0.5)
	full = max(0, min(width, full))
	return strings.Repeat("█", full) + strings.Repeat("░", width-full)
}

func scoreColor(score int) int {
	switch {
	case score >= 75:
		return 0x2e9d5b
	case score >= 50:
		return 0xd9a400
	}
	return 0xc0392b
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// threadName names an interview thread after the scenario and the user.
func threadName(scenario, user string) string {
	scenario = strings.TrimSpace(scenario)
	if scenario == "" {
		scenario = "Interview"
	}
	name := scenario
	if user != "" {
		name += " · " + user
	}
	return clipRunes(name, maxThreadName)
}

// firstLine is the first line of a Markdown text without its markup, a
// fallback title for a thread.
func firstLine(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.NewReplacer("**", "", "`", "", "> ", "", "# ", "").Replace(line)
	return strings.Trim(strings.TrimSpace(line), "_*")
}

// escapeInline keeps quoted answer text from opening Markdown spans inside
// a line; mentions stay inert through allowed_mentions, not escaping.
func escapeInline(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "~", `\~`, "|", `\|`).Replace(s)
}
