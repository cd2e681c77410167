package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/bot"
)

// maxCaptionUnits is Telegram's caption limit (1,024 after entity parsing),
// in UTF-16 code units.
const maxCaptionUnits = 1024

// ErrTooLarge is wrapped by FetchMedia when a file is over the limit asked
// for, or over the 20 MB the Bot API lets a bot download.
var ErrTooLarge = errors.New("file too large")

// replyKeyboard returns the one-tap reply keyboard a message asks for, or
// nil. It is offered only in private chats: Telegram refuses contact and
// location buttons in groups. Inline buttons on a one-part message leave no
// room for it (a message has one keyboard); the buttons win, logged.
func (a *Adapter) replyKeyboard(m bot.OutMessage, inlineTaken bool) models.ReplyMarkup {
	k := m.Keyboard
	if k == nil {
		return nil
	}
	if uid, ok := userID(m.Chat); !ok || uid <= 0 {
		a.log.Warn("reply keyboard left out: only private chats have one", "chat", m.Chat)
		return nil
	}
	if inlineTaken {
		a.log.Warn("reply keyboard left out: the message carries buttons", "chat", m.Chat)
		return nil
	}
	if k.Remove {
		return &models.ReplyKeyboardRemove{RemoveKeyboard: true}
	}
	var rows [][]models.KeyboardButton
	if k.SharePhone != "" {
		rows = append(rows, []models.KeyboardButton{{Text: k.SharePhone, RequestContact: true}})
	}
	if k.ShareLocation != "" {
		rows = append(rows, []models.KeyboardButton{{Text: k.ShareLocation, RequestLocation: true}})
	}
	if len(rows) == 0 {
		return nil
	}
	// One-time: the keyboard folds away after a tap, and the engine removes
	// it for good once it has what it asked for.
	return &models.ReplyKeyboardMarkup{Keyboard: rows, OneTimeKeyboard: true, ResizeKeyboard: true}
}

func replyMarkupOrNil(m *models.InlineKeyboardMarkup) models.ReplyMarkup {
	if m == nil {
		return nil
	}
	return m
}

// captionOf returns the part of text that fits in a caption.
func captionOf(text string) string {
	parts := Split(text, maxCaptionUnits-1)
	if len(parts) > 1 {
		return parts[0] + "…"
	}
	return parts[0]
}

// sendAttachment sends a file (multipart upload) or relays a message
// (copyMessage), with Text as its caption. A text too long for a caption is
// split: the first part is the caption, the rest follow as messages. The
// buttons, or the reply keyboard, go on the last message, whose id is
// returned.
func (a *Adapter) sendAttachment(ctx context.Context, chat any, thread int, m bot.OutMessage, markup *models.InlineKeyboardMarkup) (string, error) {
	att := m.Attachment
	if (att.Path == "") == (att.CopyOf == nil) {
		return "", fmt.Errorf("send to %s: %w", m.Chat, bot.Permanent(errors.New("an attachment needs exactly one of path and copy_of")))
	}
	parts := []string{""}
	if m.Text != "" {
		parts = Split(m.Text, maxCaptionUnits)
		if len(parts) > 1 {
			// The caption takes what fits; later parts may be longer.
			rest := strings.Join(parts[1:], "\n")
			parts = append(parts[:1], Split(rest, maxUnits)...)
		}
	}
	keyboard := a.replyKeyboard(m, markup != nil)
	var last models.ReplyMarkup
	if markup != nil {
		last = markup
	} else if keyboard != nil {
		last = keyboard
	}
	key, first := a.resumePoint(m, len(parts))
	var id int
	for i := first; i < len(parts); i++ {
		var rm models.ReplyMarkup
		if i == len(parts)-1 {
			rm = last
		}
		var err error
		if i == 0 {
			id, err = a.withFallbacks(ctx, m.Chat, &chat, &thread, func() (int, error) {
				return a.sendFile(ctx, chat, thread, att, parts[0], rm)
			})
		} else {
			p := &tgbot.SendMessageParams{Text: EscapeHTML(parts[i]), ParseMode: models.ParseModeHTML,
				LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()}, ReplyMarkup: rm}
			id, err = a.withFallbacks(ctx, m.Chat, &chat, &thread, func() (int, error) {
				p.ChatID, p.MessageThreadID = chat, thread
				msg, err := a.api.SendMessage(ctx, p)
				if err != nil {
					return 0, err
				}
				return msg.ID, nil
			})
		}
		if err != nil {
			if len(parts) > 1 {
				a.markSent(key, i)
				err = fmt.Errorf("part %d of %d: %w", i+1, len(parts), err)
			}
			var perm permanentFile
			if errors.As(err, &perm) {
				return "", fmt.Errorf("send to %s: %w", m.Chat, bot.Permanent(err))
			}
			return "", fmt.Errorf("send to %s: %w", m.Chat, a.classify(err))
		}
	}
	if len(parts) > 1 {
		a.markSent(key, -1)
	}
	return strconv.Itoa(id), nil
}

// permanentFile marks an attachment that can never be sent as asked (its
// file is gone), as opposed to a chat that refused it.
type permanentFile struct{ err error }

func (p permanentFile) Error() string { return p.err.Error() }
func (p permanentFile) Unwrap() error { return p.err }

// sendFile makes one sendPhoto/sendVoice/sendAudio/sendVideo/sendDocument
// upload or one copyMessage. A photo, voice or video Telegram refuses as
// such (wrong format, odd dimensions) goes again as a document, so the file
// still reaches the chat.
func (a *Adapter) sendFile(ctx context.Context, chat any, thread int, att *bot.Attachment, caption string, rm models.ReplyMarkup) (int, error) {
	capt, mode := "", models.ParseMode("")
	if caption != "" {
		capt, mode = EscapeHTML(caption), models.ParseModeHTML
	}
	if att.CopyOf != nil {
		from, err := chatID(att.CopyOf.Chat)
		if err != nil {
			return 0, permanentFile{fmt.Errorf("copy from %s: %w", att.CopyOf.Chat, err)}
		}
		mid, err := strconv.Atoi(att.CopyOf.ID)
		if err != nil {
			return 0, permanentFile{fmt.Errorf("copy message %q: id is not a number", att.CopyOf.ID)}
		}
		// An empty caption keeps the original one (Telegram's rule).
		res, err := a.api.CopyMessage(ctx, &tgbot.CopyMessageParams{ChatID: chat, MessageThreadID: thread,
			FromChatID: from, MessageID: mid, Caption: capt, ParseMode: mode, ReplyMarkup: rm})
		if err != nil {
			return 0, err
		}
		return res.ID, nil
	}
	kind := att.Kind
	for {
		id, err := a.upload(ctx, chat, thread, kind, att, capt, mode, rm)
		if err == nil || kind == bot.MediaDocument || kind == "" || !errors.Is(err, tgbot.ErrorBadRequest) || strings.Contains(err.Error(), "chat not found") || threadGone(err) {
			return id, err
		}
		a.log.Info("file refused as "+string(kind)+"; sending it as a document", "err", a.mask(err))
		kind = bot.MediaDocument
	}
}

func (a *Adapter) upload(ctx context.Context, chat any, thread int, kind bot.MediaKind, att *bot.Attachment, capt string, mode models.ParseMode, rm models.ReplyMarkup) (int, error) {
	f, err := os.Open(att.Path)
	if err != nil {
		return 0, permanentFile{fmt.Errorf("open attachment: %w", err)}
	}
	defer f.Close()
	name := att.Name
	if name == "" {
		name = filepath.Base(att.Path)
	}
	in := &models.InputFileUpload{Filename: name, Data: f}
	var msg *models.Message
	switch kind {
	case bot.MediaPhoto:
		msg, err = a.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: chat, MessageThreadID: thread, Photo: in, Caption: capt, ParseMode: mode, ReplyMarkup: rm})
	case bot.MediaVoice:
		msg, err = a.api.SendVoice(ctx, &tgbot.SendVoiceParams{ChatID: chat, MessageThreadID: thread, Voice: in, Caption: capt, ParseMode: mode, ReplyMarkup: rm})
	case bot.MediaAudio:
		msg, err = a.api.SendAudio(ctx, &tgbot.SendAudioParams{ChatID: chat, MessageThreadID: thread, Audio: in, Caption: capt, ParseMode: mode, ReplyMarkup: rm})
	case bot.MediaVideo:
		msg, err = a.api.SendVideo(ctx, &tgbot.SendVideoParams{ChatID: chat, MessageThreadID: thread, Video: in, Caption: capt, ParseMode: mode, ReplyMarkup: rm})
	default:
		msg, err = a.api.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: chat, MessageThreadID: thread, Document: in, Caption: capt, ParseMode: mode, ReplyMarkup: rm})
	}
	if err != nil {
		return 0, err
	}
	return msg.ID, nil
}

// maxDownload is the largest file the Bot API lets a bot download.
const maxDownload = 20 << 20

// FetchMedia downloads an incoming media item (getFile, then the file
// itself). It fails with ErrTooLarge rather than return more than max
// bytes; max <= 0 means the Bot API's own 20 MB limit.
func (a *Adapter) FetchMedia(ctx context.Context, m bot.Media, max int64) ([]byte, error) {
	if max <= 0 || max > maxDownload {
		max = maxDownload
	}
	if m.Ref == "" {
		return nil, bot.Permanent(errors.New("fetch media: no file id"))
	}
	if m.Size > max {
		return nil, fmt.Errorf("fetch %s: %d bytes, limit %d: %w", m.Kind, m.Size, max, bot.Permanent(ErrTooLarge))
	}
	f, err := a.api.GetFile(ctx, &tgbot.GetFileParams{FileID: m.Ref})
	if err != nil {
		if strings.Contains(err.Error(), "file is too big") {
			return nil, fmt.Errorf("fetch %s: %w", m.Kind, bot.Permanent(ErrTooLarge))
		}
		return nil, fmt.Errorf("fetch %s: get file: %w", m.Kind, a.classify(err))
	}
	if f.FileSize > max {
		return nil, fmt.Errorf("fetch %s: %d bytes, limit %d: %w", m.Kind, f.FileSize, max, bot.Permanent(ErrTooLarge))
	}
	if f.FilePath == "" {
		return nil, fmt.Errorf("fetch %s: %w", m.Kind, bot.Permanent(errors.New("telegram gave no file path")))
	}
	u := a.apiURL + "/file/bot" + a.opts.Token + "/" + f.FilePath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, a.mask(fmt.Errorf("fetch %s: %w", m.Kind, err))
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, a.mask(fmt.Errorf("fetch %s: download: %w", m.Kind, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("fetch %s: download: HTTP %d", m.Kind, resp.StatusCode)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest {
			return nil, bot.Permanent(err)
		}
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, a.mask(fmt.Errorf("fetch %s: read: %w", m.Kind, err))
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("fetch %s: over %d bytes: %w", m.Kind, max, bot.Permanent(ErrTooLarge))
	}
	return data, nil
}

// DeepLink returns https://t.me/<bot>?start=<payload>, which opens a
// private chat with the bot; pressing Start sends "/start <payload>". The
// Bot API allows 1-64 characters of A-Z a-z 0-9 _ and - in the payload.
func (a *Adapter) DeepLink(payload string) (string, bool) {
	if a.me.Username == "" || len(payload) < 1 || len(payload) > 64 {
		return "", false
	}
	for i := 0; i < len(payload); i++ {
		c := payload[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "", false
		}
	}
	return "https://t.me/" + a.me.Username + "?start=" + payload, true
}
