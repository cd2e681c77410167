package console

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
)

// ParseContent reads the text of a console line into m: leading tags in
// square brackets stand for what a chat app would send besides text, and
// the rest of the line is the text (a caption, for media):
//
//	[voice 12s]                      a voice note of 12 seconds
//	[audio 3m] [video 30s] [sticker] other media; durations are optional
//	[photo] caption                  a photo (or [photo name.jpg])
//	[document 处方.pdf] caption       a file
//	[location 31.23,121.47 浦东川沙]  a map pin, with an optional name
//	[contact 13812345678 王阿姨]      a contact card
//	[forwarded from 张三] text        forwarded; the original sender
//	[link https://example.org 标题]   a shared link
//
// Tags combine ("[forwarded from 张三] [photo] 救命"). A bracket that is no
// known tag is text ("[急] 需要透析"). A known tag written wrong is an error
// that says how to write it.
func ParseContent(text string, m *bot.Message) error {
	rest := strings.TrimSpace(text)
	for strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			break
		}
		tag := strings.TrimSpace(rest[1:end])
		word, arg, _ := strings.Cut(tag, " ")
		arg = strings.TrimSpace(arg)
		known, err := applyTag(strings.ToLower(word), arg, m)
		if err != nil {
			return fmt.Errorf("[%s]: %w", tag, err)
		}
		if !known {
			break
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	m.Text = rest
	if m.Text == "" && len(m.Media) == 0 && m.Location == nil && m.Contact == nil && m.Link == nil {
		return errors.New("nothing to send after the tags")
	}
	return nil
}

var mediaKinds = map[string]bot.MediaKind{
	"voice": bot.MediaVoice, "audio": bot.MediaAudio, "photo": bot.MediaPhoto, "image": bot.MediaPhoto,
	"document": bot.MediaDocument, "file": bot.MediaDocument, "video": bot.MediaVideo, "sticker": bot.MediaSticker,
}

// applyTag applies one tag; known is false for a bracket that is text.
func applyTag(word, arg string, m *bot.Message) (known bool, err error) {
	if kind, ok := mediaKinds[word]; ok {
		md := bot.Media{Kind: kind, Ref: fmt.Sprintf("console-%s-%d", kind, len(m.Media)+1)}
		if arg != "" {
			if d, err := parseDuration(arg); err == nil {
				md.Duration = d
			} else if kind == bot.MediaVoice || kind == bot.MediaAudio || kind == bot.MediaVideo {
				if strings.ContainsAny(arg, ".") {
					md.Name = arg
				} else {
					return true, fmt.Errorf("want a duration such as 12s or 1m30s, got %q", arg)
				}
			} else {
				md.Name = arg
			}
		}
		m.Media = append(m.Media, md)
		return true, nil
	}
	switch word {
	case "location":
		coords, title, _ := strings.Cut(arg, " ")
		lat, lon, ok := strings.Cut(coords, ",")
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		if !ok || err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			return true, errors.New(`want "[location LAT,LON name]", e.g. "[location 31.23,121.47 浦东川沙]"`)
		}
		m.Location = &bot.Location{Lat: la, Lon: lo, Title: strings.TrimSpace(title)}
		return true, nil
	case "contact":
		phone, name, _ := strings.Cut(arg, " ")
		if phone == "" {
			return true, errors.New(`want "[contact PHONE name]", e.g. "[contact 13812345678 王阿姨]"`)
		}
		m.Contact = &bot.Contact{Phone: phone, Name: strings.TrimSpace(name)}
		return true, nil
	case "forwarded":
		from, ok := strings.CutPrefix(arg, "from ")
		if !ok || strings.TrimSpace(from) == "" {
			return true, errors.New(`want "[forwarded from NAME]"`)
		}
		m.Forward = &bot.Forward{FromName: strings.TrimSpace(from)}
		return true, nil
	case "link":
		u, title, _ := strings.Cut(arg, " ")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return true, errors.New(`want "[link URL title]"`)
		}
		m.Link = &bot.Link{URL: u, Title: strings.TrimSpace(title)}
		return true, nil
	}
	return false, nil
}

// parseDuration reads "12s", "3m", "1m30s", or a bare number of seconds.
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}
