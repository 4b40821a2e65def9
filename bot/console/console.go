// Package console is the terminal adapter: each input line is one message
// from a simulated user, and the bot's replies are printed as plain text.
// It is the default when no chat platform is configured.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mlsdbot/mlsd/bot"
)

// interviewer is the part of the domain the console needs.
type interviewer interface {
	Handle(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error)
}

// deliveryConfirmer is the optional part of the interviewer (*bot.Bot has
// it) told that a message's replies were shown, so they are not pending.
type deliveryConfirmer interface {
	Delivered(ctx context.Context, in bot.Inbound, outs []bot.Outbound)
}

// drawer draws the pictures replies carry (bot.Painter).
type drawer interface {
	Draw(ctx context.Context, pic *bot.Picture) ([]byte, error)
}

// Config wires an Adapter.
type Config struct {
	Bot interviewer
	// Drawer and PictureDir turn pictures on: each is written as a PNG
	// under PictureDir and its path printed. Without them a picture's
	// caption and text alternative are printed with a note.
	Drawer     drawer
	PictureDir string
	In         io.Reader
	Out        io.Writer
	Log        *slog.Logger
	User       string // simulated user name; "/as NAME" switches it
	// RunID makes message ids unique across restarts, so the store's
	// dedupe never mistakes a new line for a replay of an old one.
	RunID string
	// Interactive prints a prompt before each line; with piped input the
	// lines are echoed instead, so stdout reads as a transcript.
	Interactive bool
}

// Adapter runs a terminal chat.
type Adapter struct {
	cfg Config
	seq int
}

// Channel and workspace of the simulated chat.
const (
	Workspace = "local"
	Channel   = "terminal"
)

// handleTimeout bounds one message's handling, shutdown or not.
const handleTimeout = 30 * time.Second

// multiLineFence opens and closes a multi-line message.
const multiLineFence = `"""`

// maxUserName bounds a simulated user's name (/as NAME): it becomes a
// user id in the store, where a 40,000-character key fails.
const maxUserName = 64

// maxLine bounds one input line; longer ones are read whole and the domain
// refuses them with a friendly message.
const maxLine = 1 << 20

// New returns an adapter; User defaults to "you".
func New(cfg Config) *Adapter {
	if cfg.User == "" {
		cfg.User = "you"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Adapter{cfg: cfg}
}

// Run reads messages until EOF or ctx is done; EOF is a clean exit.
func (a *Adapter) Run(ctx context.Context) error {
	lines, readErr := a.readLines(ctx)
	a.println("MLSD console — type `/mlsd start` to begin an interview, `/mlsd help` for commands, Ctrl-D to quit.")
	var (
		multi   []string
		inMulti bool
	)
	for {
		a.prompt(inMulti)
		var (
			line string
			ok   bool
		)
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
		}
		if !ok {
			if err := <-readErr; err != nil {
				return fmt.Errorf("console: reading input: %w", err)
			}
			if inMulti && len(multi) > 0 {
				a.send(ctx, strings.Join(multi, "\n"))
			}
			return nil
		}
		a.echo(line)
		if strings.TrimSpace(line) == multiLineFence {
			if inMulti {
				a.send(ctx, strings.Join(multi, "\n"))
				multi = nil
			}
			inMulti = !inMulti
			continue
		}
		if inMulti {
			multi = append(multi, line)
			continue
		}
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "/as "); ok {
			switch name = strings.TrimSpace(name); {
			case utf8.RuneCountInString(name) > maxUserName:
				a.println(fmt.Sprintf("(a name has at most %d characters; you are still %s)", maxUserName, Neutralize(a.cfg.User)))
			case name != "":
				a.cfg.User = name
				a.println("(you are now " + Neutralize(name) + ")")
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		a.send(ctx, line)
	}
}

// readLines reads input on its own goroutine so that Run can stop on ctx
// (Ctrl-C, SIGTERM) while a read is blocked on a terminal. The goroutine
// ends at EOF; a read blocked at shutdown ends with the process.
func (a *Adapter) readLines(ctx context.Context) (<-chan string, <-chan error) {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		r := bufio.NewReaderSize(a.cfg.In, 64*1024)
		for {
			line, err := readLine(r)
			if err != nil && line == "" {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				errc <- err
				return
			}
			select {
			case lines <- line:
			case <-ctx.Done():
				errc <- nil
				return
			}
		}
	}()
	return lines, errc
}

// readLine reads one line without its end. A line longer than maxLine is
// cut to its first maxLine bytes and the rest is skipped: the domain
// refuses it as too long, where a Scanner would stop the console.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if room := maxLine - len(b); room > 0 {
			b = append(b, chunk[:min(len(chunk), room)]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return strings.TrimRight(string(b), "\r\n"), err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
}

func (a *Adapter) prompt(inMulti bool) {
	if !a.cfg.Interactive {
		return
	}
	if inMulti {
		fmt.Fprint(a.cfg.Out, "… ")
		return
	}
	fmt.Fprintf(a.cfg.Out, "%s> ", Neutralize(a.cfg.User))
}

func (a *Adapter) echo(line string) {
	if !a.cfg.Interactive {
		fmt.Fprintf(a.cfg.Out, "%s> %s\n", Neutralize(a.cfg.User), Neutralize(line))
	}
}

// Neutralize shows control characters (escape sequences, NUL, carriage
// returns) as visible \xNN text, so nothing a user typed can drive the
// terminal when it is echoed or quoted back. Newlines and tabs stay.
func Neutralize(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool {
	return r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0)
}

func (a *Adapter) println(s string) { fmt.Fprintln(a.cfg.Out, s) }

// send turns one message into an Inbound and prints the replies.
func (a *Adapter) send(ctx context.Context, text string) {
	a.seq++
	in := bot.Inbound{
		Platform:  bot.Console,
		Workspace: Workspace,
		Channel:   Channel,
		UserID:    a.cfg.User,
		UserName:  a.cfg.User,
		MessageID: a.cfg.RunID + "-" + strconv.Itoa(a.seq),
		Text:      text,
		Kind:      bot.KindReply,
	}
	if rest, ok := commandText(text); ok {
		in.Kind, in.Text = bot.KindCommand, rest
	}
	// A message being handled finishes even if shutdown starts meanwhile:
	// the answer is saved and its reply printed before Run returns.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()
	out, err := a.cfg.Bot.Handle(hctx, in)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			a.cfg.Log.Error("handling message failed", "message", in.MessageID, "err", err)
		}
		a.println("bot> Something went wrong on our side — please try again.")
		return
	}
	for _, o := range out {
		a.render(o)
		if o.Picture != nil {
			a.picture(hctx, o)
		}
		if o.File != nil {
			a.file(o.File)
		}
	}
	if d, ok := a.cfg.Bot.(deliveryConfirmer); ok {
		d.Delivered(hctx, in, out)
	}
}

// file writes an attachment (an admin's export) beside the pictures and
// prints its path; without a directory it says so.
func (a *Adapter) file(f *bot.File) {
	if a.cfg.PictureDir == "" {
		fmt.Fprint(a.cfg.Out, indent("📄 "+Neutralize(f.Alt)+" (no data directory to write it to)\n"))
		return
	}
	dir := filepath.Join(filepath.Dir(a.cfg.PictureDir), "files")
	path := filepath.Join(dir, safeFileName(f.Name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		a.cfg.Log.Warn("file not written", "name", f.Name, "err", err)
		fmt.Fprint(a.cfg.Out, indent("📄 the file could not be written: "+Neutralize(err.Error())+"\n"))
		return
	}
	if err := os.WriteFile(path, f.Data, 0o600); err != nil {
		a.cfg.Log.Warn("file not written", "name", f.Name, "err", err)
		fmt.Fprint(a.cfg.Out, indent("📄 the file could not be written: "+Neutralize(err.Error())+"\n"))
		return
	}
	fmt.Fprint(a.cfg.Out, indent("📄 file: "+path+"\n"))
}

// commandText recognises "/mlsd ..." as the chat adapters do: any
// casing, any spacing ("/MLSD status", "/mlsd\tstatus", "/mlsdstatus").
func commandText(text string) (string, bool) {
	t := strings.TrimSpace(text)
	if len(t) < len("/mlsd") || !strings.EqualFold(t[:len("/mlsd")], "/mlsd") {
		return "", false
	}
	return strings.TrimSpace(t[len("/mlsd"):]), true
}

// picture draws o's picture into PictureDir and prints its path; when it
// cannot, it prints a note and the picture's text alternative.
func (a *Adapter) picture(ctx context.Context, o bot.Outbound) {
	pic := o.Picture
	path, err := a.savePicture(ctx, o)
	if err != nil {
		// The text alternative stands in for the picture.
		level := slog.LevelWarn
		if errors.Is(err, bot.ErrNoRenderer) {
			level = slog.LevelDebug // turned off on purpose
		}
		a.cfg.Log.Log(ctx, level, "picture not drawn", "kind", pic.Kind, "err", err)
		fmt.Fprint(a.cfg.Out, indent(Render(bot.PictureNote(err))+"\n"+Neutralize(pic.Alt)+"\n"))
		return
	}
	fmt.Fprint(a.cfg.Out, indent("🖼 picture: "+path+"\n"))
}

func (a *Adapter) savePicture(ctx context.Context, o bot.Outbound) (string, error) {
	if a.cfg.Drawer == nil || a.cfg.PictureDir == "" {
		return "", bot.ErrNoRenderer
	}
	png, err := a.cfg.Drawer.Draw(ctx, o.Picture)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(a.cfg.PictureDir, 0o755); err != nil {
		return "", err
	}
	name := safeFileName(o.Picture.Name)
	if o.Session != "" {
		name = safeFileName(o.Session) + "-" + name
	}
	path := filepath.Join(a.cfg.PictureDir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// safeFileName keeps letters, digits, '.', '-' and '_': names come from
// scenario ids and session ids, but a file name is no place for a path.
func safeFileName(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '.' || r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			out = append(out, r)
		} else {
			out = append(out, '_')
		}
	}
	if len(out) == 0 || out[0] == '.' {
		out = append([]rune("picture"), out...)
	}
	return string(out)
}

func (a *Adapter) render(o bot.Outbound) {
	var b strings.Builder
	b.WriteString("\n")
	if o.Where.Kind == bot.Ephemeral {
		b.WriteString("(only you can see this)\n")
	}
	b.WriteString(Render(Neutralize(o.Text)))
	if o.Form != nil {
		b.WriteString("\n(The console has no forms: type your answer; wrap several lines in " + multiLineFence + ".)")
	}
	if len(o.Choices) > 0 {
		var words []string
		for _, c := range o.Choices {
			if c.Kind == bot.ChoiceForm {
				continue // typing is the console's form
			}
			word, _, _ := strings.Cut(c.Value, "@") // typing the word is the console's button
			words = append(words, word)
		}
		b.WriteString("\n→ type your answer, or: " + strings.Join(words, " · "))
	}
	b.WriteString("\n")
	fmt.Fprint(a.cfg.Out, indent(b.String()))
}

// Render turns the domain's Markdown subset into plain terminal text:
// bold markers go, and so do the underscores of italic lines and
// parenthesised notes; `code` keeps its backticks, which read well as is.
// Underscores inside words (scenario ids) are left alone.
func Render(md string) string {
	lines := strings.Split(strings.ReplaceAll(md, "**", ""), "\n")
	for i, l := range lines {
		if len(l) > 2 && strings.HasPrefix(l, "_") && strings.HasSuffix(l, "_") {
			l = l[1 : len(l)-1]
		}
		lines[i] = strings.ReplaceAll(strings.ReplaceAll(l, " _(", " ("), ")_", ")")
	}
	return strings.Join(lines, "\n")
}

// indent prefixes bot output so it stands apart from the user's lines.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
