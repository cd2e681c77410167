package telegram

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/bot"
)

// maxUnits is the longest text we send in one message, in the UTF-16 code
// units Telegram counts (its limit is 4,096 after entity parsing).
const maxUnits = 4000

// sendTimeout bounds one Send, which shutdown waits for.
const sendTimeout = 20 * time.Second

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// maxToast is Telegram's limit on an answerCallbackQuery text.
const maxToast = 200

// Send delivers one message. Text is escaped for HTML parse mode, so user
// text never turns into markup, and split on line boundaries when longer
// than one Telegram message; the buttons go under the last part, whose id
// is returned. With EditOf the earlier message is edited in place instead,
// with the given buttons (none removes them).
//
// With CallbackID the button press is acknowledged first, with Answer as
// the toast shown to the person who pressed it; a message with no Text and
// no EditOf besides posts nothing.
//
// Failures that concern one message, not the chat, are worked around
// rather than reported, because the engine takes a permanent error as
// "this chat is unreachable": an edit of a deleted message posts anew, a
// message for a closed or deleted topic goes to the chat itself, and
// buttons Telegram would refuse are left out.
//
// Errors: 429 is a *bot.RetryAfterError; 403 and other 400s (blocked,
// kicked, chat not found) are bot.ErrPermanent; 5xx and network errors are
// plain, for the outbox to retry.
func (a *Adapter) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// Once started, a send is not abandoned when ctx is cancelled (shutdown):
	// a request already on the wire may have reached Telegram, and giving
	// up on its answer makes the outbox send it again after the restart.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	if m.CallbackID != "" {
		if err := a.answer(ctx, m.CallbackID, m.Answer); err != nil {
			return "", err
		}
		if m.Text == "" && m.EditOf == "" {
			return "", nil
		}
	}
	chat, err := chatID(m.Chat)
	if err != nil {
		return "", fmt.Errorf("send to %s: %w", m.Chat, bot.Permanent(err))
	}
	markup, dropped := inlineKeyboard(m.Buttons)
	if dropped != nil {
		// A bad button must not cost the alert it sits under.
		a.log.Error("drop buttons Telegram would refuse", "chat", m.Chat, "err", dropped)
	}
	thread := 0
	if m.Thread != "" {
		if thread, err = strconv.Atoi(m.Thread); err != nil {
			return "", fmt.Errorf("send to %s: thread %q: %w", m.Chat, m.Thread, bot.Permanent(err))
		}
	}
	if m.EditOf != "" {
		id, err := a.edit(ctx, chat, m, markup)
		if !errors.Is(err, errGone) {
			if err != nil {
				return "", fmt.Errorf("edit message %s in %s: %w", m.EditOf, m.Chat, err)
			}
			return id, nil
		}
		// Someone deleted the card: post the new state instead, rather than
		// fail (which would read as the whole chat being unreachable).
		a.log.Info("message to edit is gone, posting anew", "chat", m.Chat, "msg", m.EditOf)
	}
	if m.Attachment != nil {
		return a.sendAttachment(ctx, chat, thread, m, markup)
	}
	parts := Split(m.Text, maxUnits)
	keyboard := a.replyKeyboard(m, markup != nil && len(parts) == 1)
	// A retry after a failure mid-way resumes after the parts already out,
	// so the chat does not see them twice.
	key, first := a.resumePoint(m, len(parts))
	var id string
	for i := first; i < len(parts); i++ {
		p := &tgbot.SendMessageParams{
			Text:               EscapeHTML(parts[i]),
			ParseMode:          models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
		}
		switch {
		case i == len(parts)-1 && markup != nil:
			p.ReplyMarkup = markup
		case i == 0 && keyboard != nil:
			p.ReplyMarkup = keyboard
		case i == len(parts)-1 && keyboard != nil:
			p.ReplyMarkup = keyboard
		}
		sent, err := a.withFallbacks(ctx, m.Chat, &chat, &thread, func() (int, error) {
			p.ChatID, p.MessageThreadID = chat, thread
			msg, err := a.api.SendMessage(ctx, p)
			if err != nil {
				return 0, err
			}
			return msg.ID, nil
		})
		if err != nil {
			if len(parts) > 1 {
				a.markSent(key, i)
				err = fmt.Errorf("part %d of %d: %w", i+1, len(parts), err)
			}
			return "", fmt.Errorf("send to %s: %w", m.Chat, a.classify(err))
		}
		id = strconv.Itoa(sent)
	}
	if len(parts) > 1 {
		a.markSent(key, -1)
	}
	return id, nil
}

// withFallbacks runs one send, and runs it again where the failure is about
// where it went rather than what it says: a group that became a supergroup
// (the message follows it to its new id) and a closed or deleted topic (the
// message still matters, so it goes to the chat itself). call reads *chat
// and *thread.
func (a *Adapter) withFallbacks(ctx context.Context, ref string, chat *any, thread *int, call func() (int, error)) (int, error) {
	id, err := call()
	var migrated *tgbot.MigrateError
	if errors.As(err, &migrated) && migrated.MigrateToChatID != 0 {
		// The migration update rebinds the chat; this message goes there now.
		a.log.Info("group migrated, sending to its new id", "chat", ref, "to", Ref(int64(migrated.MigrateToChatID)))
		*chat = int64(migrated.MigrateToChatID)
		id, err = call()
	}
	if err != nil && *thread != 0 && threadGone(err) {
		a.log.Info("topic is gone, posting in the chat", "chat", ref, "thread", *thread, "err", a.mask(err))
		*thread = 0
		id, err = call()
	}
	return id, err
}

// partialTTL is how long the adapter remembers a half-sent long message.
const partialTTL = time.Hour

// partial records how many parts of a long message are already out.
type partial struct {
	sent int
	at   time.Time
}

// resumePoint returns the key of a multi-part message and the first part
// still to send.
func (a *Adapter) resumePoint(m bot.OutMessage, parts int) ([32]byte, int) {
	if parts < 2 {
		return [32]byte{}, 0
	}
	ident := m.Chat + "\x00" + m.Thread + "\x00" + m.Text
	if at := m.Attachment; at != nil {
		ident += "\x00" + at.Path
		if at.CopyOf != nil {
			ident += "\x00" + at.CopyOf.Chat + "/" + at.CopyOf.ID
		}
	}
	key := sha256.Sum256([]byte(ident))
	a.partMu.Lock()
	defer a.partMu.Unlock()
	p, ok := a.partial[key]
	if !ok || p.sent >= parts {
		return key, 0
	}
	return key, p.sent
}

// markSent remembers that parts before next are out; next < 0 forgets the
// message, which is complete.
func (a *Adapter) markSent(key [32]byte, next int) {
	a.partMu.Lock()
	defer a.partMu.Unlock()
	now := time.Now()
	for k, p := range a.partial {
		if now.Sub(p.at) > partialTTL {
			delete(a.partial, k)
		}
	}
	if next <= 0 {
		delete(a.partial, key)
		return
	}
	a.partial[key] = partial{sent: next, at: now}
}

// edit replaces the text (and keyboard) of an earlier bot message. An edit
// that changes nothing is a success: the card already shows the state.
func (a *Adapter) edit(ctx context.Context, chat any, m bot.OutMessage, markup *models.InlineKeyboardMarkup) (string, error) {
	msgID, err := strconv.Atoi(m.EditOf)
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("message id %q is not a number", m.EditOf))
	}
	text := m.Text
	if parts := Split(text, maxUnits-1); len(parts) > 1 {
		// An edit cannot grow into two messages; keep what fits.
		text = parts[0] + "…"
	}
	p := &tgbot.EditMessageTextParams{
		ChatID:             chat,
		MessageID:          msgID,
		Text:               EscapeHTML(text),
		ParseMode:          models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
	}
	if markup != nil {
		p.ReplyMarkup = markup
	}
	_, err = a.api.EditMessageText(ctx, p)
	if err != nil && strings.Contains(err.Error(), "no text in the message to edit") {
		// The card went out as the caption of a photo or a voice note.
		_, err = a.api.EditMessageCaption(ctx, &tgbot.EditMessageCaptionParams{
			ChatID: chat, MessageID: msgID, Caption: EscapeHTML(captionOf(m.Text)),
			ParseMode: models.ParseModeHTML, ReplyMarkup: replyMarkupOrNil(markup),
		})
	}
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "message is not modified"):
			return m.EditOf, nil
		case strings.Contains(msg, "message to edit not found"), strings.Contains(msg, "message can't be edited"):
			return "", errGone
		}
		return "", a.classify(err)
	}
	return m.EditOf, nil
}

// errGone says the message to edit no longer exists.
var errGone = errors.New("message to edit is gone")

// threadGone reports an error about the topic rather than the chat.
func threadGone(err error) bool {
	msg := err.Error()
	return errors.Is(err, tgbot.ErrorBadRequest) &&
		(strings.Contains(msg, "message thread not found") || strings.Contains(msg, "TOPIC_CLOSED") || strings.Contains(msg, "TOPIC_DELETED"))
}

// classify maps a Bot API error onto the outbox's retry classes.
func (a *Adapter) classify(err error) error {
	err = a.mask(err)
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		after := max(tooMany.RetryAfter, 1)
		return &bot.RetryAfterError{After: time.Duration(after) * time.Second, Err: err}
	}
	var migrated *tgbot.MigrateError
	if errors.As(err, &migrated) {
		// The group became a supergroup; the migration update rebinds it.
		return bot.Permanent(fmt.Errorf("chat migrated to %s: %w", Ref(int64(migrated.MigrateToChatID)), err))
	}
	if errors.Is(err, tgbot.ErrorForbidden) || errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "chat not found") {
		// Kicked, blocked by the person, or the chat is gone.
		return bot.Unreachable(err)
	}
	if errors.Is(err, tgbot.ErrorBadRequest) {
		return bot.Permanent(err)
	}
	return err
}

// inlineKeyboard builds the keyboard for buttons (nil for none), leaving
// out buttons Telegram would refuse; the error names them.
func inlineKeyboard(buttons [][]bot.Button) (*models.InlineKeyboardMarkup, error) {
	var rows [][]models.InlineKeyboardButton
	var bad []error
	for _, row := range buttons {
		var r []models.InlineKeyboardButton
		for _, b := range row {
			if b.Data == "" || len(b.Data) > maxCallbackData || b.Label == "" {
				bad = append(bad, fmt.Errorf("button %q: callback data must be 1-%d bytes, got %d", b.Label, maxCallbackData, len(b.Data)))
				continue
			}
			r = append(r, models.InlineKeyboardButton{Text: b.Label, CallbackData: b.Data})
		}
		if len(r) > 0 {
			rows = append(rows, r)
		}
	}
	err := errors.Join(bad...)
	if len(rows) == 0 {
		return nil, err
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}, err
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeHTML escapes the three characters Telegram's HTML parse mode
// treats as markup, so text shows exactly as written.
func EscapeHTML(s string) string { return htmlEscaper.Replace(s) }

// Split cuts text into parts of at most limit UTF-16 code units, on line
// boundaries where it can, then on spaces, then anywhere between runes.
func Split(text string, limit int) []string {
	if units(text) <= limit {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	curUnits := 0
	flush := func() {
		if s := strings.TrimRight(cur.String(), "\n"); s != "" {
			parts = append(parts, s)
		}
		cur.Reset()
		curUnits = 0
	}
	for line := range strings.SplitAfterSeq(text, "\n") {
		// A part may end without its last newline, so measure the line
		// without it.
		body := strings.TrimSuffix(line, "\n")
		if curUnits+units(body) > limit {
			flush()
		}
		for units(body) > limit {
			head := cutUnits(body, limit)
			parts = append(parts, head)
			body, line = body[len(head):], line[len(head):]
		}
		cur.WriteString(line)
		curUnits += units(line)
	}
	flush()
	return parts
}

// cutUnits returns the longest prefix of s within limit units, ending
// after a space if there is one in its second half.
func cutUnits(s string, limit int) string {
	n, end, space := 0, 0, -1
	for i, r := range s {
		w := utf16.RuneLen(r)
		if n+w > limit {
			break
		}
		n += w
		end = i + utf8.RuneLen(r)
		if r == ' ' && n > limit/2 {
			space = end
		}
	}
	if space > 0 {
		return s[:space]
	}
	return s[:end]
}

func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
