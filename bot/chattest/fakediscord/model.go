package fakediscord

import (
	"encoding/json"
	"time"
)

// The wire types below are this fake's own view of Discord's JSON (API v9).
// They deliberately do not come from discordgo: the fake speaks the
// protocol, so a client bug cannot hide behind shared types.

// Channel types used by the fake.
const (
	ChannelText          = 0
	ChannelDM            = 1
	ChannelPublicThread  = 11
	ChannelPrivateThread = 12
)

// Interaction types.
const (
	InteractionPing         = 1
	InteractionCommand      = 2
	InteractionComponent    = 3
	InteractionAutocomplete = 4
	InteractionModalSubmit  = 5
)

// Interaction callback (response) types.
const (
	ResponsePong                     = 1
	ResponseMessage                  = 4
	ResponseDeferredMessage          = 5
	ResponseDeferredUpdate           = 6
	ResponseUpdateMessage            = 7
	ResponseAutocompleteResult       = 8
	ResponseModal                    = 9
	flagEphemeral                    = 1 << 6
	permissionManageGuild            = 1 << 5
	permissionAdministrator          = 1 << 3
	intentGuilds                     = 1 << 0
	intentGuildMessages              = 1 << 9
	intentMessageContent             = 1 << 15
	maxContentChars                  = 2000
	maxEmbedTotal                    = 6000
	discordEpochMillis         int64 = 1420070400000
)

// User is a member of the fake guild.
type User struct {
	ID   string `json:"id"`
	Name string `json:"username"`
	// Nick is the guild nickname, shown instead of Name when set.
	Nick string `json:"-"`
	// Admin gives the member Manage Server.
	Admin bool `json:"-"`
	Bot   bool `json:"bot,omitempty"`
}

// Channel is a guild channel or thread.
type Channel struct {
	ID                  string `json:"id"`
	Type                int    `json:"type"`
	GuildID             string `json:"guild_id,omitempty"`
	ParentID            string `json:"parent_id,omitempty"`
	Name                string `json:"name,omitempty"`
	OwnerID             string `json:"owner_id,omitempty"`
	AutoArchiveDuration int    `json:"auto_archive_duration,omitempty"`
	// Recipient is the other user of a DM channel.
	Recipient string `json:"-"`
	// StartMessage is the message a thread was started from.
	StartMessage string `json:"-"`
}

// IsThread reports whether the channel is a thread.
func (c Channel) IsThread() bool { return c.Type == 10 || c.Type == 11 || c.Type == 12 }

// AllowedMentions is the allowed_mentions object of a message.
type AllowedMentions struct {
	Parse       []string `json:"parse"`
	Users       []string `json:"users,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	RepliedUser bool     `json:"replied_user,omitempty"`
}

// Embed is a rich embed.
type Embed struct {
	Type        string         `json:"type,omitempty"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url,omitempty"`
	Color       int            `json:"color,omitempty"`
	Fields      []EmbedField   `json:"fields,omitempty"`
	Footer      *EmbedFooter   `json:"footer,omitempty"`
	Author      *EmbedAuthor   `json:"author,omitempty"`
	Timestamp   string         `json:"timestamp,omitempty"`
	Image       *EmbedImage    `json:"image,omitempty"`
	Extra       map[string]any `json:"-"`
}

// EmbedImage is an embed's picture; attachment://NAME shows a file sent
// with the message.
type EmbedImage struct {
	URL string `json:"url"`
}

// EmbedField is one name/value pair of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text string `json:"text"`
}

// EmbedAuthor is an embed's author line.
type EmbedAuthor struct {
	Name string `json:"name"`
}

// chars counts an embed's text the way Discord's 6,000-character total does.
func (e Embed) chars() int {
	n := runes(e.Title) + runes(e.Description)
	for _, f := range e.Fields {
		n += runes(f.Name) + runes(f.Value)
	}
	if e.Footer != nil {
		n += runes(e.Footer.Text)
	}
	if e.Author != nil {
		n += runes(e.Author.Name)
	}
	return n
}

// Component is a message or modal component (action row, button, text input).
type Component struct {
	Type       int         `json:"type"`
	Components []Component `json:"components,omitempty"`
	CustomID   string      `json:"custom_id,omitempty"`
	Label      string      `json:"label,omitempty"`
	Style      int         `json:"style,omitempty"`
	Disabled   bool        `json:"disabled,omitempty"`
	URL        string      `json:"url,omitempty"`
	// Text input fields.
	Placeholder string `json:"placeholder,omitempty"`
	Value       string `json:"value,omitempty"`
	Required    *bool  `json:"required,omitempty"`
	MinLength   int    `json:"min_length,omitempty"`
	MaxLength   int    `json:"max_length,omitempty"`
}

// Buttons returns the message's buttons in order.
func (m Message) Buttons() []Component {
	var out []Component
	for _, row := range m.Components {
		for _, c := range row.Components {
			if c.Type == 2 {
				out = append(out, c)
			}
		}
	}
	return out
}

// Button returns the button with this label, if any.
func (m Message) Button(label string) (Component, bool) {
	for _, b := range m.Buttons() {
		if b.Label == label {
			return b, true
		}
	}
	return Component{}, false
}

// Message is a message as the fake stores it.
type Message struct {
	ID              string           `json:"id"`
	ChannelID       string           `json:"channel_id"`
	GuildID         string           `json:"guild_id,omitempty"`
	Content         string           `json:"content"`
	Author          User             `json:"author"`
	Embeds          []Embed          `json:"embeds"`
	Components      []Component      `json:"components"`
	Attachments     []Attachment     `json:"attachments"`
	Flags           int              `json:"flags,omitempty"`
	Timestamp       time.Time        `json:"timestamp"`
	AllowedMentions *AllowedMentions `json:"-"`
	// Thread is the id of the thread started from this message, if any.
	Thread string `json:"-"`
	// Interaction is the id of the interaction this message answers
	// (its original response or a followup), if any.
	Interaction string `json:"-"`
	// Loading marks a deferred response not yet filled in.
	Loading bool `json:"-"`
	// Deleted marks a deleted message (kept for assertions).
	Deleted bool `json:"-"`
	// Pings are the mentions that would have notified someone: "@everyone",
	// "@here", "user:ID", "role:ID".
	Pings []string `json:"-"`
}

// Ephemeral reports whether only the interaction's user sees the message.
func (m Message) Ephemeral() bool { return m.Flags&flagEphemeral != 0 }

// Text is the message's content plus every embed's text, for assertions.
func (m Message) Text() string {
	s := m.Content
	for _, e := range m.Embeds {
		s += "\n" + e.Title + "\n" + e.Description
		for _, f := range e.Fields {
			s += "\n" + f.Name + "\n" + f.Value
		}
		if e.Footer != nil {
			s += "\n" + e.Footer.Text
		}
	}
	return s
}

// Modal is a modal the bot opened in answer to an interaction.
type Modal struct {
	Interaction string // the interaction it answered
	ChannelID   string
	User        User
	CustomID    string      `json:"custom_id"`
	Title       string      `json:"title"`
	Components  []Component `json:"components"`
}

// Inputs returns the modal's text inputs.
func (m Modal) Inputs() []Component {
	var out []Component
	for _, row := range m.Components {
		for _, c := range row.Components {
			if c.Type == 4 {
				out = append(out, c)
			}
		}
	}
	return out
}

// Response is an interaction callback body.
type Response struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// messageData is the body of a message create/edit, a webhook execute or
// a message-type interaction response.
type messageData struct {
	Content         *string          `json:"content"`
	Embeds          *[]Embed         `json:"embeds"`
	Components      *[]Component     `json:"components"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions"`
	Flags           int              `json:"flags"`
	// Modal and autocomplete responses share the data object.
	CustomID string            `json:"custom_id"`
	Title    string            `json:"title"`
	Choices  []json.RawMessage `json:"choices"`
}

// Command is an application command as registered.
type Command struct {
	ID                       string          `json:"id,omitempty"`
	ApplicationID            string          `json:"application_id,omitempty"`
	GuildID                  string          `json:"guild_id,omitempty"`
	Type                     int             `json:"type,omitempty"`
	Name                     string          `json:"name"`
	Description              string          `json:"description"`
	Options                  []CommandOption `json:"options"`
	DefaultMemberPermissions *string         `json:"default_member_permissions,omitempty"`
	Contexts                 []int           `json:"contexts,omitempty"`
	Extra                    map[string]any  `json:"-"`
}

// CommandOption is an option, subcommand or subcommand group.
type CommandOption struct {
	Type         int             `json:"type"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Required     bool            `json:"required"`
	Autocomplete bool            `json:"autocomplete"`
	Choices      []CommandChoice `json:"choices"`
	Options      []CommandOption `json:"options"`
}

// CommandChoice is a fixed choice of a string option.
type CommandChoice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

func runes(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}
