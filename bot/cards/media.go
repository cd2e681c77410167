package cards

import (
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// What a card says about the parts of a case that are not words: the map
// pin, the voice notes and photos, who forwarded the plea, and an urgency
// the bot could not judge. Coordinates and where the recordings are count
// as personal data: only unmasked cards show them.

// MapLink is an OpenStreetMap link centred on a point with a marker. It
// is neutral (no account, no app, readable in every country) and takes
// WGS-84 coordinates, which is what Telegram and the console give and
// what the engine converts WeChat's GCJ-02 positions to.
func MapLink(lat, lon float64) string {
	return fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=17/%.5f/%.5f", lat, lon, lat, lon)
}

// Coordinates shows a point as people copy it into a map app.
func Coordinates(lat, lon float64) string { return fmt.Sprintf("%.5f, %.5f", lat, lon) }

// LocationLine is the card line of a shared map pin, or "" when there is
// none or the card is masked.
func LocationLine(c *store.Case, lang string, p Privacy) string {
	if c.Location == nil || p == Masked {
		return ""
	}
	l := c.Location
	s := Coordinates(l.Lat, l.Lon)
	if t := strings.TrimSpace(l.Title); t != "" {
		s += " (" + Clip(t, 80) + ")"
	}
	return i18n.T(lang, "📍 Map: %s %s", s, MapLink(l.Lat, l.Lon))
}

// maxMediaLines bounds the media lines of one card.
const maxMediaLines = 4

// MediaLines are the card lines of the case's voice notes, photos and
// files: what each is and where to find it. Masked cards show how many
// there are, not where.
func (r Renderer) MediaLines(c *store.Case, lang string, p Privacy) []string {
	if len(c.Media) == 0 {
		return nil
	}
	if p == Masked {
		return []string{i18n.T(lang, "Attached: %s", MediaCount(c.Media, lang))}
	}
	var out []string
	start := max(0, len(c.Media)-maxMediaLines)
	if start > 0 {
		out = append(out, i18n.T(lang, "… and %d earlier items (/case %d)", start, c.ID))
	}
	for _, md := range c.Media[start:] {
		line := MediaLabel(md, lang)
		if md.OCR {
			line += " · " + i18n.T(lang, "its text is in the request")
		}
		out = append(out, line+" · "+i18n.T(lang, "sent in %s", r.Names.ChatName(md.Chat))+" "+r.stamp(md.At))
	}
	return out
}

func (r Renderer) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.Loc).Format("15:04")
}

// MediaLabel names one media item: "🎤 voice message 0:12 — listen".
func MediaLabel(md store.CaseMedia, lang string) string {
	var s string
	switch md.Kind {
	case "voice", "audio":
		s = i18n.T(lang, "🎤 voice message — listen")
	case "photo":
		s = i18n.T(lang, "🖼 photo")
	case "video":
		s = i18n.T(lang, "🎬 video")
	default:
		s = i18n.T(lang, "📎 file")
		if md.Name != "" {
			s += " " + Clip(md.Name, 40)
		}
	}
	if md.Duration > 0 {
		d := md.Duration.Round(time.Second)
		s += fmt.Sprintf(" %d:%02d", int(d.Minutes()), int(d.Seconds())%60)
	}
	return s
}

// MediaCount says how many of each kind: "2 voice messages, 1 photo".
func MediaCount(media []store.CaseMedia, lang string) string {
	var voice, photo, other int
	for _, md := range media {
		switch md.Kind {
		case "voice", "audio":
			voice++
		case "photo":
			photo++
		default:
			other++
		}
	}
	var parts []string
	if voice > 0 {
		parts = append(parts, i18n.T(lang, "%d voice messages", voice))
	}
	if photo > 0 {
		parts = append(parts, i18n.T(lang, "%d photos", photo))
	}
	if other > 0 {
		parts = append(parts, i18n.T(lang, "%d files", other))
	}
	return strings.Join(parts, i18n.T(lang, ", "))
}

// UnknownUrgencyLine says that the urgency shown is a stand-in, for a case
// whose words the bot could not read.
func UnknownUrgencyLine(c *store.Case, lang string) string {
	if !c.UrgencyUnknown {
		return ""
	}
	return i18n.T(lang, "❓ Urgency unknown (a voice message or picture): treated as urgent until a volunteer sets it with /urgency %d", c.ID)
}

// AskerName is the name the card gives the asker: for a forwarded plea,
// its original sender and who forwarded it ("张三 (转发: 李四)").
func AskerName(c *store.Case, lang string) string {
	if c.RelayedBy == "" || c.RelayedBy == c.AskerName {
		return c.AskerName
	}
	if c.AskerName == "" {
		return i18n.T(lang, "forwarded by %s", c.RelayedBy)
	}
	return i18n.T(lang, "%s (forwarded by %s)", c.AskerName, c.RelayedBy)
}
