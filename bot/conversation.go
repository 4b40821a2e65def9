package bot

import "context"

// Platform names the chat system a message came from. Identifiers from
// different platforms never collide because every key includes it.
type Platform string

const (
	Console Platform = "console"
	Slack   Platform = "slack"
	Discord Platform = "discord"
)

// InboundKind tells the engine how a message reached the bot.
type InboundKind int

const (
	// KindCommand is the text after the slash command: "start visual-search".
	KindCommand InboundKind = iota
	// KindReply is a plain message, typically in an interview thread.
	KindReply
	// KindAction is a button click; Text holds the Choice.Value.
	KindAction
	// KindForm is a submitted form (a Slack or Discord modal); Text holds the answer.
	KindForm
)

// String names the kind for logs and metric labels.
func (k InboundKind) String() string {
	switch k {
	case KindCommand:
		return "command"
	case KindReply:
		return "reply"
	case KindAction:
		return "action"
	case KindForm:
		return "form"
	}
	return "other"
}

// Inbound is one platform event, already translated by an adapter.
// IDs are opaque strings minted by the adapter.
type Inbound struct {
	Platform  Platform
	Workspace string // Slack team, Discord guild, "local" on the console
	Channel   string
	Thread    string // thread the message was posted in; empty at top level
	UserID    string
	UserName  string // display name, used in reports and leaderboards
	MessageID string // platform event/message/interaction id, for dedupe
	Text      string
	Kind      InboundKind
	// IsAdmin is set by the adapter when the platform says the user may
	// change workspace settings (Slack admin, Discord Manage Server).
	IsAdmin bool
}

// User returns the key of the inbound message's author.
func (in Inbound) User() UserKey {
	return UserKey{Platform: in.Platform, Workspace: in.Workspace, UserID: in.UserID}
}

// UserKey identifies one user in one workspace of one platform.
type UserKey struct {
	Platform  Platform
	Workspace string
	UserID    string
}

func (k UserKey) String() string { return string(k.Platform) + ":" + k.Workspace + ":" + k.UserID }

// WhereKind says where an outbound message goes.
type WhereKind int

const (
	// InThread posts into Where.Thread of Where.Channel (top level when Thread is empty).
	InThread WhereKind = iota
	// NewThread posts a new root message in Where.Channel whose thread hosts
	// the interview. The adapter posts it, then calls Bot.AttachThread with
	// the new thread id, and sends the following messages of the same batch
	// (which have Where.Thread == "") into that thread.
	NewThread
	// Ephemeral is shown only to Where.User (Slack ephemeral, Discord
	// ephemeral interaction response, a DM where neither exists).
	Ephemeral
)

// Where addresses an outbound message.
type Where struct {
	Kind    WhereKind
	Channel string
	Thread  string
	User    string // for Ephemeral
}

// Outbound is one message from the bot. Text uses a small Markdown subset:
// **bold**, _italic_, `code`, lines starting "- " (bullets) or "> "
// (quotes), blank lines between paragraphs. It never contains platform
// markup on purpose, and it does contain user text (quoted evidence,
// names), so every adapter escapes its platform's special syntax in all of
// it (Slack's <, >, &; Discord's mentions via allowed_mentions) before
// rendering the subset.
type Outbound struct {
	Where   Where
	Text    string
	Choices []Choice
	// Question, Report and Form carry structure for rich renderers
	// (Block Kit, embeds, modals); Text is always a complete fallback.
	Question *QuestionView
	Report   *Report
	Form     *Form
	// File, when set, is sent with Text as an attachment (the admin's
	// export); adapters deliver it privately when the reply is ephemeral.
	File *File
	// Picture, when set, is an image to draw and attach (see Picture);
	// Text is then its caption and must stand alone if drawing fails.
	Picture *Picture
	// Session is the interview this message belongs to, for AttachThread.
	Session string
	// FinalReport marks a saved reply whose Text and Report are the
	// session's final report, left out of the saved copy (Outbox) because
	// the session keeps that report anyway; Outbox.restore puts them back.
	FinalReport bool `json:",omitempty"`
	// Key, on a proactive post (Poster), is its idempotency key: adapters
	// that can attach hidden data to a message carry it, so PostFinder
	// finds the message again.
	Key string `json:",omitempty"`
}

// ChoiceKind distinguishes ordinary buttons from one that opens a form.
type ChoiceKind int

const (
	ChoiceButton ChoiceKind = iota
	// ChoiceForm opens a multi-line answer form (a modal) when the platform
	// has one; its submission arrives as a KindForm Inbound.
	ChoiceForm
)

// Choice is a button. A click comes back as an Inbound of KindAction whose
// Text is Value, so buttons and typed words share one code path.
type Choice struct {
	Label string
	Value string
	Kind  ChoiceKind
	// Primary marks the suggested action; adapters may style it.
	Primary bool
}

// Form asks the adapter to open a modal with one multi-line input.
type Form struct {
	Title     string
	Label     string
	MaxLength int
	// Context is an opaque value the adapter returns with the submission
	// (for example the session id) so it can route it to the right thread.
	Context string
}

// QuestionView is the structured form of an interview question.
type QuestionView struct {
	Scenario string
	Step     StepID
	Title    string // "Step 3/7 — Data & features"
	Question string
	Progress string // "●●○○○○○"
	Probe    bool   // a follow-up inside the step
}

// Handler handles one inbound message and returns the replies.
type Handler interface {
	Handle(ctx context.Context, in Inbound) ([]Outbound, error)
}

// HandlerFunc adapts a function to Handler, as http.HandlerFunc does.
type HandlerFunc func(ctx context.Context, in Inbound) ([]Outbound, error)

func (f HandlerFunc) Handle(ctx context.Context, in Inbound) ([]Outbound, error) { return f(ctx, in) }

// File is an attachment with its bytes.
type File struct {
	Name string // "mlsd-export-2026-11.csv"
	Type string // MIME type
	Data []byte
	// Alt says what the file holds, for where it cannot be shown.
	Alt string
}
