package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// htmlTags are the tags Telegram's HTML parse mode accepts.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true,
	"tg-spoiler": true, "span": true, "blockquote": true, "tg-emoji": true,
}

// render returns the text a reader sees, parsing HTML like Telegram does:
// an unknown tag, an unclosed tag or a bare '&' that is not an entity is
// refused with "can't parse entities".
func render(text, parseMode string) (string, *apiError) {
	switch strings.ToLower(parseMode) {
	case "":
		return text, nil
	case "html":
	default:
		// MarkdownV2 is not used by Lifeline; refuse it loudly.
		return "", &apiError{code: 400, desc: "Bad Request: unsupported parse_mode " + parseMode}
	}
	fail := func(at int, format string, args ...any) (string, *apiError) {
		return "", &apiError{code: 400, desc: fmt.Sprintf("Bad Request: can't parse entities: "+format+" at byte offset %d", append(args, at)...)}
	}
	var out strings.Builder
	var open []string
	for i := 0; i < len(text); {
		switch c := text[i]; c {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return fail(i, "unclosed start tag")
			}
			tag := text[i+1 : i+end]
			closing := strings.HasPrefix(tag, "/")
			name := strings.ToLower(strings.Fields(strings.TrimPrefix(tag, "/") + " ")[0])
			if !htmlTags[name] {
				return fail(i, "unsupported start tag %q", name)
			}
			if closing {
				if len(open) == 0 || open[len(open)-1] != name {
					return fail(i, "unexpected end tag")
				}
				open = open[:len(open)-1]
			} else {
				open = append(open, name)
			}
			i += end + 1
		case '&':
			end := strings.IndexByte(text[i:], ';')
			if end < 0 {
				return fail(i, "unsupported entity")
			}
			ent := text[i+1 : i+end]
			switch {
			case ent == "lt":
				out.WriteByte('<')
			case ent == "gt":
				out.WriteByte('>')
			case ent == "amp":
				out.WriteByte('&')
			case ent == "quot":
				out.WriteByte('"')
			case strings.HasPrefix(ent, "#x") || strings.HasPrefix(ent, "#X"):
				n, err := strconv.ParseInt(ent[2:], 16, 32)
				if err != nil {
					return fail(i, "unsupported entity")
				}
				out.WriteRune(rune(n))
			case strings.HasPrefix(ent, "#"):
				n, err := strconv.ParseInt(ent[1:], 10, 32)
				if err != nil {
					return fail(i, "unsupported entity")
				}
				out.WriteRune(rune(n))
			default:
				return fail(i, "unsupported entity")
			}
			i += end + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(open) > 0 {
		return fail(len(text), "can't find end tag corresponding to start tag %q", open[len(open)-1])
	}
	return out.String(), nil
}

// utf16Len is the length Telegram measures texts in.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
