package wechat

import (
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot"
)

// A WeChat quote reply reaches the web protocol as text only: the quoted
// message, a line of dashes, then the reply —
//
//	「李阿姨：楼下老两口还没撤出来」
//	- - - - - - - - - - - - - - -
//	/new
//
// with no id of the quoted message. quote holds the parts.
type quote struct {
	name, text, reply string
}

// parseQuote reads a quote reply, or reports false for any other text.
func parseQuote(s string) (quote, bool) {
	if !strings.HasPrefix(s, "「") {
		return quote{}, false
	}
	// The separator is the first line made only of dashes and spaces.
	start, end := -1, -1
	for i := 0; i < len(s); {
		nl := strings.IndexByte(s[i:], '\n')
		if nl < 0 {
			break
		}
		lineStart := i + nl + 1
		lineEnd := len(s)
		if j := strings.IndexByte(s[lineStart:], '\n'); j >= 0 {
			lineEnd = lineStart + j
		}
		if dashLine(s[lineStart:lineEnd]) {
			start, end = i+nl, min(lineEnd+1, len(s))
			break
		}
		i = lineStart
	}
	if start < 0 {
		return quote{}, false
	}
	quoted := strings.TrimSpace(s[:start])
	quoted = strings.TrimSuffix(strings.TrimPrefix(quoted, "「"), "」")
	name, text, ok := cutAny(quoted, "：", ":")
	if !ok || strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 64 {
		return quote{}, false
	}
	return quote{name: strings.TrimSpace(name), text: strings.TrimSpace(text), reply: strings.TrimSpace(s[end:])}, true
}

// dashLine says whether line is WeChat's quote separator: dashes with one
// space between them, ten or more (WeChat writes fifteen). A rule someone
// types ("-----") is not one, so a post that opens with 「求助：…」 and a
// rule of its own stays whole.
func dashLine(line string) bool {
	line = strings.TrimSpace(line)
	if len(line) < 19 {
		return false
	}
	for i := 0; i < len(line); i++ {
		want := byte('-')
		if i%2 == 1 {
			want = ' '
		}
		if line[i] != want {
			return false
		}
	}
	return len(line)%2 == 1
}

// cutAny cuts s around the first of the separators found.
func cutAny(s string, seps ...string) (before, after string, found bool) {
	best := -1
	sep := ""
	for _, p := range seps {
		if i := strings.Index(s, p); i >= 0 && (best < 0 || i < best) {
			best, sep = i, p
		}
	}
	if best < 0 {
		return s, "", false
	}
	return s[:best], s[best+len(sep):], true
}

// applyQuote makes a quote reply's own words the message and the quoted
// one what it replies to: the engine must not read someone else's plea
// as the replier's. WeChat gives no id for the quoted message, so
// ReplyTo is derived from its author and words (a second reply to the
// same message names the same one). who names the quoted author in the
// chat, as memberRef would, or "" for the bot itself: its own messages
// are nobody's plea.
func applyQuote(out *bot.Message, who func(name string) string) {
	q, ok := parseQuote(out.Text)
	if !ok {
		return
	}
	h := fnv.New64a()
	h.Write([]byte(q.name + "\x00" + q.text))
	out.Text = q.reply
	out.ReplyTo = "quote-" + strconv.FormatUint(h.Sum64(), 36)
	if sender := who(q.name); sender != "" {
		out.Replied = &bot.Replied{Sender: sender, SenderName: q.name, Text: q.text}
	}
}
