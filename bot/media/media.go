// Package media is what the engine does with the parts of a plea that are
// not typed words: it turns a message's voice notes, photos, files and map
// pins into the case's records, relays them to the coordination chats
// (copied on the same platform, fetched into a file under data_dir/media
// for another one), keeps those files only as long as the case's personal
// data, and reads the text in images with an optional OCR worker.
//
// Deciding what a media message means for a case is the job of intake
// (groups) and asker (private chats); this package gives them the pieces.
package media

import (
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Options configure the media service.
type Options struct {
	// Dir is where files fetched for relays are kept (data_dir/media).
	// Empty: relays to another platform are sent as a text note instead.
	Dir string
	// MaxFetch is the largest file fetched for a relay (default 20 MB,
	// the most the Telegram Bot API lets a bot download).
	MaxFetch int64
	// OCR reads text in images; nil when OCR is off.
	OCR *Worker
}

// Service holds the media plumbing shared by intake and asker.
type Service struct {
	env  *env.Env
	opts Options
}

// New makes the media service.
func New(e *env.Env, o Options) *Service {
	if o.MaxFetch <= 0 {
		o.MaxFetch = 20 << 20
	}
	return &Service{env: e, opts: o}
}

// OCR is the OCR worker, nil when OCR is off.
func (s *Service) OCR() *Worker { return s.opts.OCR }

// Has says whether m carries anything besides words that the engine acts
// on: media, a map pin or a contact card.
func Has(m platform.Message) bool {
	return len(m.Media) > 0 || m.Location != nil || m.Contact != nil
}

// Relayable says whether a media kind is passed on to volunteers (voice,
// audio, photos, files, videos; not stickers).
func Relayable(k platform.MediaKind) bool {
	switch k {
	case platform.MediaVoice, platform.MediaAudio, platform.MediaPhoto, platform.MediaDocument, platform.MediaVideo:
		return true
	}
	return false
}

// Record is the case's record of media item md of message m.
func Record(m platform.Message, md platform.Media) store.CaseMedia {
	return store.CaseMedia{Kind: string(md.Kind), Chat: m.Chat, Msg: m.ID, Ref: md.Ref, MIME: md.MIME, Name: md.Name,
		Size: md.Size, Duration: md.Duration, At: m.Time}
}

// Attach adds a media record to c, keeping at most store.MaxCaseMedia
// (the newest), and reports whether it was new.
func Attach(c *store.Case, rec store.CaseMedia) bool {
	for _, have := range c.Media {
		if have.Chat == rec.Chat && have.Msg == rec.Msg && have.Ref == rec.Ref {
			return false
		}
	}
	c.Media = append(c.Media, rec)
	if n := len(c.Media); n > store.MaxCaseMedia {
		c.Media = append([]store.CaseMedia(nil), c.Media[n-store.MaxCaseMedia:]...)
	}
	return true
}

// Point is the case's record of a shared map pin. WeChat gives positions
// in China's GCJ-02 datum, offset by up to 500 m from the WGS-84 that map
// links and GPS use, so they are converted.
func Point(m platform.Message) *store.GeoPoint {
	l := m.Location
	if l == nil {
		return nil
	}
	lat, lon := l.Lat, l.Lon
	if m.Platform() == "wechat" {
		lat, lon = GCJ02ToWGS84(lat, lon)
	}
	title := l.Title
	if l.Address != "" && l.Address != title {
		if title != "" {
			title += " "
		}
		title += l.Address
	}
	return &store.GeoPoint{Lat: lat, Lon: lon, Title: title, At: m.Time}
}
