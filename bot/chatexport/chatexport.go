// Package chatexport reads the chat histories people can save from their
// apps — a WeChat PC "export chat" text file, a Telegram Desktop
// result.json, or console lines "[chat] sender: text" — into plain
// messages, so yesterday's groups can be triaged offline.
package chatexport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one message of an exported chat.
type Message struct {
	Chat   string // the chat's name
	ID     string // the message id when the export has one, else its position
	Sender string
	At     time.Time // zero when the export gives no time
	Text   string
}

// Format names an export format.
type Format string

// The formats Parse knows.
const (
	Telegram Format = "telegram" // Telegram Desktop result.json
	WeChat   Format = "wechat"   // WeChat PC chat export text
	Console  Format = "console"  // "[chat] sender: text" lines
)

// Parse reads an export, telling the format from its content: JSON is a
// Telegram export, "[chat] sender: text" lines are console lines, and
// text whose messages start with a date and time is WeChat's. name is the
// file's name, used as the chat's name when the export has none.
func Parse(data []byte, name string, loc *time.Location) ([]Message, Format, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, "", errors.New("not UTF-8 text")
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		msgs, err := ParseTelegram(data, loc)
		return msgs, Telegram, err
	case consoleLine.Match(firstLine(trimmed)):
		msgs, err := ParseConsole(string(data))
		return msgs, Console, err
	}
	msgs, err := ParseWeChat(string(data), name, loc)
	return msgs, WeChat, err
}

func firstLine(b []byte) []byte {
	l, _, _ := bytes.Cut(b, []byte("\n"))
	return bytes.TrimSpace(l)
}

// ---- Telegram Desktop

// tgExport is a single-chat export, or a full export with many chats.
type tgExport struct {
	Name     string      `json:"name"`
	Messages []tgMessage `json:"messages"`
	Chats    *struct {
		List []tgExport `json:"list"`
	} `json:"chats"`
}

type tgMessage struct {
	ID       int64           `json:"id"`
	Type     string          `json:"type"`
	Date     string          `json:"date"`
	Unix     string          `json:"date_unixtime"`
	From     string          `json:"from"`
	Text     json.RawMessage `json:"text"`
	Caption  json.RawMessage `json:"caption"`
	Forwards string          `json:"forwarded_from"`
}

// ParseTelegram reads Telegram Desktop's result.json (a chat, or all
// chats). Only real messages are kept (not joins or pins); formatted text
// is flattened.
func ParseTelegram(data []byte, loc *time.Location) ([]Message, error) {
	var ex tgExport
	if err := json.Unmarshal(data, &ex); err != nil {
		return nil, fmt.Errorf("not a Telegram Desktop export (result.json): %w", err)
	}
	chats := []tgExport{ex}
	if ex.Chats != nil {
		chats = append(chats, ex.Chats.List...)
	}
	var out []Message
	for _, c := range chats {
		for _, m := range c.Messages {
			if m.Type != "" && m.Type != "message" {
				continue
			}
			text := tgText(m.Text)
			if text == "" {
				text = tgText(m.Caption)
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			at := time.Time{}
			if n, err := strconv.ParseInt(m.Unix, 10, 64); err == nil {
				at = time.Unix(n, 0).In(loc)
			} else if t, err := time.ParseInLocation("2006-01-02T15:04:05", m.Date, loc); err == nil {
				at = t
			}
			sender := m.From
			if sender == "" {
				sender = m.Forwards
			}
			out = append(out, Message{Chat: c.Name, ID: strconv.FormatInt(m.ID, 10), Sender: sender, At: at, Text: text})
		}
	}
	if len(out) == 0 && len(chats) == 1 && ex.Messages == nil {
		return nil, errors.New("not a Telegram Desktop export: no messages list")
	}
	return out, nil
}

// tgText flattens a message text: a string, or a list of strings and
// entities {"type": "bold", "text": "…"}.
func tgText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		var s string
		if json.Unmarshal(p, &s) == nil {
			b.WriteString(s)
			continue
		}
		var e struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(p, &e) == nil {
			b.WriteString(e.Text)
		}
	}
	return b.String()
}

// ---- WeChat PC

// wechatHead is the first line of a message in the text that WeChat PC
// export tools write: "2022-04-10 09:30:15 王阿姨" (or the name first),
// the message's lines following.
var (
	wechatTimeFirst = regexp.MustCompile(`^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s+(.+?)\s*[:：]?$`)
	wechatNameFirst = regexp.MustCompile(`^(.+?)\s+\(?(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\)?\s*[:：]?$`)
	wechatDateLine  = regexp.MustCompile(`^[—\-=\s]*\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?[—\-=\s]*$`)
)

var wechatLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006.1.2 15:04:05", "2006-1-2 15:04:05", "2006-1-2 15:04"}

func parseWeChatTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.Replace(s, "T", " ", 1)
	for _, l := range wechatLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ParseWeChat reads a WeChat PC chat export in text form. A message is a
// line with its time and sender, then its text lines up to the next such
// line; date separator lines and the export's own header before the first
// message are skipped. chat names the chat (the file's name).
func ParseWeChat(text, chat string, loc *time.Location) ([]Message, error) {
	var out []Message
	var cur *Message
	var body []string
	flush := func() {
		if cur == nil {
			return
		}
		cur.Text = strings.TrimSpace(strings.Join(body, "\n"))
		if cur.Text != "" {
			cur.ID = strconv.Itoa(len(out) + 1)
			out = append(out, *cur)
		}
		cur, body = nil, nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		l := strings.TrimSpace(line)
		if m := wechatTimeFirst.FindStringSubmatch(l); m != nil {
			if at, ok := parseWeChatTime(m[1], loc); ok {
				flush()
				cur = &Message{Chat: chat, Sender: m[2], At: at}
				continue
			}
		}
		if m := wechatNameFirst.FindStringSubmatch(l); m != nil {
			if at, ok := parseWeChatTime(m[2], loc); ok {
				flush()
				cur = &Message{Chat: chat, Sender: m[1], At: at}
				continue
			}
		}
		if cur == nil || wechatDateLine.MatchString(l) {
			continue
		}
		body = append(body, line)
	}
	flush()
	if len(out) == 0 {
		return nil, errors.New(`no messages found: want WeChat export text (a line "2022-04-10 09:30:15 name" before each message), a Telegram result.json or "[chat] sender: text" lines`)
	}
	return out, nil
}

// ---- console lines

var consoleLine = regexp.MustCompile(`^\[[^\]]+\]\s*[^:：]+[:：]`)

// ParseConsole reads "[chat] sender: text" lines (the console adapter's
// format); other lines are skipped.
func ParseConsole(text string) ([]Message, error) {
	var out []Message
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "[") {
			continue
		}
		end := strings.Index(line, "]")
		if end < 0 {
			continue
		}
		chat := strings.TrimSpace(line[1:end])
		rest := line[end+1:]
		colon := strings.IndexAny(rest, ":：")
		if colon < 0 {
			continue
		}
		sender := strings.TrimSpace(rest[:colon])
		_, size := utf8.DecodeRuneInString(rest[colon:])
		msg := strings.TrimSpace(rest[colon+size:])
		if chat == "" || sender == "" || msg == "" {
			continue
		}
		out = append(out, Message{Chat: chat, ID: strconv.Itoa(i + 1), Sender: sender, Text: msg})
	}
	if len(out) == 0 {
		return nil, errors.New(`no "[chat] sender: text" lines`)
	}
	return out, nil
}
