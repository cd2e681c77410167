// Package console is the platform for a terminal and for scripted
// sessions: it reads "[chat] sender: text" lines and prints the bot's
// messages as "[chat] lifeline: text". It needs no account, so a team can try
// Lifeline on a laptop and every flow can be tested in CI.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
)

// Name is the platform prefix of console chat refs ("console:intake").
const Name = "console"

// Adapter reads from In and writes to Out.
type Adapter struct {
	in      io.Reader
	out     io.Writer
	log     *slog.Logger
	mu      sync.Mutex
	nextID  int
	session string
	// Prompt is printed to explain the input format on an interactive terminal.
	prompt bool
}

var (
	_ bot.Platform = (*Adapter)(nil)
)

// Options configure the adapter.
type Options struct {
	In  io.Reader
	Out io.Writer
	Log *slog.Logger
	// Interactive prints a short explanation of the input format first.
	Interactive bool
	// Now stamps the session so message ids differ between runs.
	Now func() time.Time
}

// New returns a console adapter.
func New(o Options) *Adapter {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Adapter{in: o.In, out: o.Out, log: o.Log, prompt: o.Interactive,
		session: strconv.FormatInt(o.Now().UnixNano(), 36)}
}

// Name implements bot.Platform.
func (a *Adapter) Name() string { return Name }

// Limits implements bot.Platform: a terminal has none.
func (a *Adapter) Limits() bot.Limits { return bot.Limits{} }

// Send implements bot.Platform by printing the message.
func (a *Adapter) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	chat := bot.LocalID(m.Chat)
	if m.Thread != "" {
		chat += "/" + m.Thread
	}
	if m.CallbackID != "" && m.Text == "" {
		_, err := fmt.Fprintf(a.out, "[%s] lifeline (to the button press): %s\n", chat, m.Answer)
		return "", err
	}
	a.nextID++
	id := "out" + strconv.Itoa(a.nextID)
	head := "[" + chat + "] lifeline: "
	if m.EditOf != "" {
		head = "[" + chat + "] lifeline (edits " + m.EditOf + "): "
	}
	var b strings.Builder
	for i, line := range strings.Split(m.Text, "\n") {
		if i == 0 {
			b.WriteString(head)
		} else {
			b.WriteString("    ")
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if len(m.Buttons) > 0 {
		b.WriteString("    ")
		for _, row := range m.Buttons {
			for _, btn := range row {
				fmt.Fprintf(&b, "[%s: %s] ", btn.Label, btn.Data)
			}
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(a.out, b.String()); err != nil {
		return "", fmt.Errorf("write to console: %w", err)
	}
	return id, nil
}

// ParseLine reads "[chat] sender: text". A chat starting with "@" is a
// private chat with that person.
func ParseLine(line string) (chat, sender, text string, err error) {
	line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
	if !strings.HasPrefix(line, "[") {
		return "", "", "", errors.New(`want "[chat] sender: text"`)
	}
	end := strings.Index(line, "]")
	if end < 0 {
		return "", "", "", errors.New(`missing "]" after the chat name`)
	}
	chat = strings.TrimSpace(line[1:end])
	rest := line[end+1:]
	colon := strings.IndexAny(rest, ":：")
	if colon < 0 {
		return "", "", "", errors.New(`missing ":" after the sender`)
	}
	sender = strings.TrimSpace(rest[:colon])
	_, size := firstRuneSize(rest[colon:])
	text = strings.TrimSpace(rest[colon+size:])
	if chat == "" || chat == "@" || sender == "" || text == "" {
		return "", "", "", errors.New("chat, sender and text must not be empty")
	}
	return chat, sender, text, nil
}

func firstRuneSize(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// Run reads lines until In ends or ctx is done, handing each to h in order.
// A line that can't be parsed is reported and skipped.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if a.prompt {
		fmt.Fprintln(a.out, `Type messages as "[chat] sender: text", e.g. "[intake] 王阿姨: 我妈妈透析两周没做了". "[@name] name: …" is a private chat with the bot. Ctrl-D ends.`)
	}
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(a.in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				if err := <-readErr; err != nil {
					return fmt.Errorf("read console input: %w", err)
				}
				return nil
			}
			n++
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			chat, sender, text, err := ParseLine(line)
			if err != nil {
				fmt.Fprintf(a.out, "[console] line %d ignored: %v\n", n, err)
				continue
			}
			m := bot.Message{
				Chat:       Name + ":" + chat,
				Private:    strings.HasPrefix(chat, "@"),
				ChatName:   chat,
				ID:         a.session + "-" + strconv.Itoa(n),
				Sender:     Name + ":" + sender,
				SenderName: sender,
				Text:       text,
			}
			if err := h.HandleMessage(ctx, m); err != nil {
				// The console has no redelivery: report and go on.
				fmt.Fprintf(a.out, "[console] line %d failed: %v\n", n, err)
			}
		}
	}
}
