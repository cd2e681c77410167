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
	"path/filepath"
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
	prompt  bool
	maxLine int
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
	// MaxLine is the longest input line in bytes (default 1 MiB). A longer
	// line is skipped with a message; the lines after it are read as usual.
	MaxLine int
}

// DefaultMaxLine is the longest input line read by default.
const DefaultMaxLine = 1 << 20

// New returns a console adapter.
func New(o Options) *Adapter {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxLine <= 0 {
		o.MaxLine = DefaultMaxLine
	}
	return &Adapter{in: o.In, out: o.Out, log: o.Log, prompt: o.Interactive, maxLine: o.MaxLine,
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
	text := m.Text
	if at := m.Attachment; at != nil {
		text = attachmentTag(at) + " " + text
	}
	for i, line := range strings.Split(strings.TrimRight(text, " "), "\n") {
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
	if k := m.Keyboard; k != nil {
		switch {
		case k.Remove:
			b.WriteString("    [keyboard removed]\n")
		case k.SharePhone != "" || k.ShareLocation != "":
			b.WriteString("    ")
			if k.SharePhone != "" {
				fmt.Fprintf(&b, "[share phone: %s] ", k.SharePhone)
			}
			if k.ShareLocation != "" {
				fmt.Fprintf(&b, "[share location: %s] ", k.ShareLocation)
			}
			b.WriteString("\n")
		}
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

// attachmentTag shows an attachment the way the input syntax writes it:
// "[document export.xlsx]", "[voice copy of intake#12]".
func attachmentTag(at *bot.Attachment) string {
	kind := string(at.Kind)
	if kind == "" {
		kind = string(bot.MediaDocument)
	}
	switch {
	case at.CopyOf != nil:
		return fmt.Sprintf("[%s copy of %s#%s]", kind, bot.LocalID(at.CopyOf.Chat), at.CopyOf.ID)
	case at.Name != "":
		return fmt.Sprintf("[%s %s]", kind, at.Name)
	default:
		return fmt.Sprintf("[%s %s]", kind, filepath.Base(at.Path))
	}
}

// batchMax is the most lines handed over in one batch.
const batchMax = 256

// Run reads lines until In ends or ctx is done, handing them to h in order:
// lines that arrived together (a pasted block, a piped file) as one batch
// when h is a bot.BatchHandler, otherwise one at a time. A line that can't
// be parsed, or is longer than MaxLine, is reported and skipped.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if a.prompt {
		fmt.Fprintln(a.out, `Type messages as "[chat] sender: text", e.g. "[intake] 王阿姨: 我妈妈透析两周没做了". "[@name] name: …" is a private chat with the bot. Media: "[voice 12s]", "[photo] caption", "[location 31.23,121.47 浦东川沙]", "[contact 13812345678 王阿姨]", "[forwarded from 张三] text". Ctrl-D ends.`)
	}
	lines := make(chan inputLine, batchMax)
	readErr := make(chan error, 1)
	go func() {
		readErr <- a.readLines(ctx, lines)
		close(lines)
	}()
	bh, batches := h.(bot.BatchHandler)
	for {
		var first inputLine
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case first, ok = <-lines:
		}
		if !ok {
			if err := <-readErr; err != nil {
				return fmt.Errorf("read console input: %w", err)
			}
			return nil
		}
		group := []inputLine{first}
	more:
		for len(group) < batchMax {
			select {
			case l, ok := <-lines:
				if !ok {
					break more
				}
				group = append(group, l)
			default:
				break more
			}
		}
		var msgs []bot.Message
		var nums []int
		for _, l := range group {
			if m, ok := a.message(l); ok {
				msgs = append(msgs, m)
				nums = append(nums, l.n)
			}
		}
		if batches && len(msgs) > 1 {
			err := bh.HandleBatch(ctx, bot.Batch{Messages: msgs})
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			// One at a time shows which line the engine could not take.
			a.log.Warn("console lines not recorded together; trying one at a time", "lines", len(msgs), "err", err)
		}
		for i, m := range msgs {
			if err := h.HandleMessage(ctx, m); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// The console has no redelivery: report and go on.
				fmt.Fprintf(a.out, "[console] line %d failed: %v\n", nums[i], err)
			}
		}
	}
}

// inputLine is one line read, or a note that it was too long.
type inputLine struct {
	n       int
	text    string
	tooLong int // bytes of a line over the maximum, which is skipped
}

// readLines reads lines of any length, passing on those within maxLine and
// a note for each longer one, whose bytes are read and dropped as they
// come so it never needs more memory than maxLine.
func (a *Adapter) readLines(ctx context.Context, out chan<- inputLine) error {
	r := bufio.NewReaderSize(a.in, 64*1024)
	n := 0
	for {
		var buf []byte
		size, over := 0, false
		var err error
		for {
			var chunk []byte
			chunk, err = r.ReadSlice('\n')
			size += len(chunk)
			if !over {
				if len(buf)+len(chunk) > a.maxLine+1 { // +1: the newline
					over, buf = true, nil
				} else {
					buf = append(buf, chunk...)
				}
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if size == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		n++
		l := inputLine{n: n}
		if over {
			l.tooLong = size
		} else {
			l.text = strings.TrimRight(string(buf), "\r\n")
		}
		select {
		case out <- l:
		case <-ctx.Done():
			return nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// message maps one input line, reporting the lines it skips.
func (a *Adapter) message(l inputLine) (bot.Message, bool) {
	if l.tooLong > 0 {
		fmt.Fprintf(a.out, "[console] line %d skipped: %d bytes is over the %d-byte limit for one line\n", l.n, l.tooLong, a.maxLine)
		a.log.Warn("console line over the limit skipped", "line", l.n, "bytes", l.tooLong, "limit", a.maxLine)
		return bot.Message{}, false
	}
	line := strings.TrimSpace(l.text)
	if line == "" || strings.HasPrefix(line, "#") {
		return bot.Message{}, false
	}
	chat, sender, text, err := ParseLine(line)
	if err != nil {
		fmt.Fprintf(a.out, "[console] line %d ignored: %v\n", l.n, err)
		return bot.Message{}, false
	}
	m := bot.Message{
		Chat:       Name + ":" + chat,
		Private:    strings.HasPrefix(chat, "@"),
		ChatName:   chat,
		ID:         a.session + "-" + strconv.Itoa(l.n),
		Sender:     Name + ":" + sender,
		SenderName: sender,
	}
	if err := ParseContent(text, &m); err != nil {
		fmt.Fprintf(a.out, "[console] line %d ignored: %v\n", l.n, err)
		return bot.Message{}, false
	}
	return m, true
}
