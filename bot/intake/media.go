package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// What intake does with what is not typed words, in a mutual-aid group:
//
//   - media with a caption (a photo, a voice note, a file) is triaged by
//     its caption; a plea becomes a case like any text, the media is part
//     of it, and its alert is followed by the media itself;
//   - an image whose caption is no plea (or that has none) is read by OCR
//     when it is on, and its text triaged like a message; otherwise it is
//     recorded as seen;
//   - a map pin or a contact card that replies to a plea, or comes from
//     the plea's author within AttachWindow, is added to that case;
//   - everything else is recorded as seen.

// AttachWindow is how long after a plea its author's map pin or contact
// card is taken as part of it.
const AttachWindow = 10 * time.Minute

// SetMedia gives intake the media service (relays, OCR). Without it, media
// messages are triaged by their words only.
func (in *Intake) SetMedia(s *media.Service) { in.media = s }

// handleMedia handles a group message that carries media, a map pin or a
// contact card.
func (in *Intake) handleMedia(ctx context.Context, m platform.Message, chat *store.Chat) error {
	if m.Location != nil || m.Contact != nil {
		in.env.ObserveIn(ctx).Message(m.Platform(), "other")
		return in.attachDetail(ctx, m)
	}
	a := in.assess(ctx, m)
	image, hasImage := imageOf(m)
	if a.IsRequest {
		c, err := in.Ingest(ctx, m, chat, a, in.RelayMedia(m, false))
		if err != nil || c == nil {
			return err
		}
		if hasImage {
			in.readLater(m, image, c.ID)
		}
		in.rooms.MaybeAuto(ctx, c)
		in.directory.AutoReply(ctx, m, chat, c)
		return nil
	}
	var first bool
	if err := in.env.Store.Batch(ctx, func(tx *store.Tx) error {
		var err error
		first, err = tx.MarkSeen(env.MsgKey(m), m.Time)
		return err
	}); err != nil {
		return fmt.Errorf("record message: %w", err)
	}
	if hasImage && first { // a redelivered picture is not read twice
		in.readLater(m, image, 0)
	}
	return nil
}

// RelayMedia attaches m's media to its case and queues the relays after
// the alert, in the ingest's own transaction: for an alerted case, or
// always (a private chat, which volunteers cannot see).
func (in *Intake) RelayMedia(m platform.Message, always bool) func(tx *store.Tx, c *store.Case, merged bool) error {
	return func(tx *store.Tx, c *store.Case, merged bool) error {
		if in.media == nil {
			return nil
		}
		changed := false
		for _, md := range m.Media {
			if media.Relayable(md.Kind) && media.Attach(c, media.Record(m, md)) {
				changed = true
			}
		}
		if changed && merged {
			if err := tx.PutCase(c); err != nil {
				return fmt.Errorf("attach media to case %d: %w", c.ID, err)
			}
		}
		if c.Urgency < in.alertAt && !always {
			return nil // not alerted: the original is in the group
		}
		for _, md := range m.Media {
			if err := in.media.QueueRelays(tx, c, m, md); err != nil {
				return err
			}
		}
		return nil
	}
}

// caseMedia is what the proposal of a new case records of m's media.
func caseMedia(m platform.Message) []store.CaseMedia {
	var out []store.CaseMedia
	for _, md := range m.Media {
		if media.Relayable(md.Kind) {
			out = append(out, media.Record(m, md))
		}
	}
	return out
}

// askerNames are the asker and relayer names of a case opened by m: for a
// forward, the original sender is the asker on the card and the forwarder
// the relayer (who the bot talks to, and whose ref is Case.Asker).
func askerNames(m platform.Message) (asker, relayedBy string) {
	if f := m.Forward; f != nil && f.FromName != "" {
		return f.FromName, m.SenderName
	}
	return m.SenderName, ""
}

// imageOf is the first image of m that OCR can read: a photo, or a file
// that is an image (a screenshot sent uncompressed).
func imageOf(m platform.Message) (platform.Media, bool) {
	for _, md := range m.Media {
		if md.Kind == platform.MediaPhoto || md.Kind == platform.MediaDocument && strings.HasPrefix(md.MIME, "image/") {
			return md, true
		}
	}
	return platform.Media{}, false
}

// readLater queues image of m for OCR: its text then joins case id, or,
// with id 0, is triaged as a plea of its own.
func (in *Intake) readLater(m platform.Message, image platform.Media, id int64) {
	if in.media == nil || in.media.OCR() == nil {
		return
	}
	in.media.OCR().Submit(media.Job{Msg: m, Media: image, Done: func(ctx context.Context, text string, err error) {
		if err != nil || strings.TrimSpace(text) == "" {
			return // the worker logged why
		}
		unlock := in.env.Lock(m.Chat)
		defer unlock()
		if id != 0 {
			err = in.AddRecognised(ctx, m, id, text)
		} else {
			err = in.recognisedPlea(ctx, m, text)
		}
		if err != nil {
			in.env.Log.Error("OCR: record recognised text", "chat", m.Chat, "msg", m.ID, "err", err)
			return
		}
		in.env.Wake()
	}})
}

// ocrKey is the message key under which an image's recognised text is
// handled, apart from the image message itself.
func ocrKey(m platform.Message) platform.Message {
	m.ID += "#ocr"
	return m
}

// Recognised is the text of an image as a case records it: the caption,
// then the recognised text marked as such, in the bot's language.
func (in *Intake) Recognised(caption, text string) string {
	marked := i18n.T(in.env.Language, "(text recognised from an image)") + " " + text
	if caption = strings.TrimSpace(caption); caption != "" {
		return caption + "\n" + marked
	}
	return marked
}

// recognisedPlea triages the text read from an image posted in a group;
// a plea becomes a case, alerted and followed by the image.
func (in *Intake) recognisedPlea(ctx context.Context, m platform.Message, text string) error {
	a := in.triage.Assess(strings.TrimSpace(m.Text + "\n" + text))
	if !a.IsRequest {
		in.env.Log.Debug("OCR: image text is no plea", "chat", m.Chat, "msg", m.ID)
		return nil
	}
	var chat *store.Chat
	if err := in.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		chat, err = tx.Chat(m.Chat)
		return err
	}); err != nil {
		return fmt.Errorf("read chat %s: %w", m.Chat, err)
	}
	plea := ocrKey(m)
	plea.Text = in.Recognised(m.Text, text)
	relay := in.RelayMedia(m, false)
	c, err := in.Ingest(ctx, plea, chat, a, func(tx *store.Tx, c *store.Case, merged bool) error {
		markOCR(c, m)
		if merged {
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return relay(tx, c, merged)
	})
	if err != nil || c == nil {
		return err
	}
	in.rooms.MaybeAuto(ctx, c)
	return nil
}

// markOCR notes on c that the text of m's image is in the case.
func markOCR(c *store.Case, m platform.Message) {
	for i := range c.Media {
		if c.Media[i].Chat == m.Chat && c.Media[i].Msg == m.ID {
			c.Media[i].OCR = true
		}
	}
}

// AddRecognised adds the text read from the image of m to case id: it is
// appended to the plea, re-triaged (urgency only ever raised), and the
// cards refreshed. A finished case is left alone.
func (in *Intake) AddRecognised(ctx context.Context, m platform.Message, id int64, text string) error {
	return in.env.Once(ctx, ocrKey(m), func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read case %d: %w", id, err)
		}
		if !c.Status.Open() {
			return nil
		}
		before := c.Urgency
		marked := in.Recognised("", text)
		c.Text = strings.TrimSpace(c.Text + "\n" + marked)
		c.Assessment = in.triage.Assess(c.Text)
		if c.Category == triage.CatNone || c.Category == triage.CatOther {
			c.Category = c.Assessment.Category
		}
		if c.Assessment.Urgency > c.Urgency {
			c.Urgency = c.Assessment.Urgency
		}
		c.Phones = env.Union(c.Phones, c.Assessment.Phones)
		markOCR(c, m)
		c.Updated = in.env.Now()
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save case %d: %w", id, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: id, At: c.Updated, Actor: env.Bot, Kind: "ocr", From: before.String(), To: c.Urgency.String(), Note: cards.Clip(text, 1000)}); err != nil {
			return err
		}
		if c.Urgency > before {
			if err := in.QueueAlerts(tx, c); err != nil {
				return err
			}
		}
		return in.Updated(tx, c, env.Bot, "ocr", i18n.T(in.env.Language, "text recognised from an image"))
	})
}

// refresher edits cards in place; the action layer provides it.
type refresher interface {
	RefreshCards(tx *store.Tx, c *store.Case, actor, what string) (map[string]bool, error)
}

// SetRefresher gives intake the action layer's card refresh.
func (in *Intake) SetRefresher(r refresher) { in.refresh = r }

// Updated shows a change to c by actor where its alert card is: the card is edited
// in place where the platform can, and where it cannot (WeChat) a short
// note says what was added.
func (in *Intake) Updated(tx *store.Tx, c *store.Case, actor, what, note string) error {
	if in.refresh != nil {
		if _, err := in.refresh.RefreshCards(tx, c, actor, what); err != nil {
			return err
		}
	}
	coordination, err := env.ChatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return err
	}
	for _, ch := range coordination {
		if in.env.CanEdit(ch.Ref) {
			continue
		}
		card, err := delivery.AlertCard(tx, c.ID, ch.Ref)
		if err != nil || card == "" {
			if err != nil {
				return err
			}
			continue
		}
		lang := in.env.Lang(ch)
		text := i18n.T(lang, "#%d updated: %s", c.ID, note)
		if err := delivery.Enqueue(tx, in.env.Now(), delivery.KindNotice, c.ID, platform.OutMessage{Chat: ch.Ref, Text: text}, ""); err != nil {
			return err
		}
	}
	return nil
}

// attachDetail adds a map pin or contact card to the plea it replies to,
// or to its author's plea of the last AttachWindow in this group.
func (in *Intake) attachDetail(ctx context.Context, m platform.Message) error {
	return in.env.Once(ctx, m, func(tx *store.Tx) error {
		c, err := in.detailTarget(tx, m)
		if err != nil || c == nil {
			return err
		}
		note, what := "", ""
		switch {
		case m.Location != nil:
			c.Location = media.Point(m)
			what = "location"
			note = cards.LocationLine(c, in.env.Language, cards.Unmasked)
		case m.Contact != nil:
			phones := in.ContactPhones(m.Contact)
			if len(phones) == 0 {
				in.env.Log.Debug("contact card without a phone number", "chat", m.Chat, "msg", m.ID)
				return nil
			}
			c.Phones = env.Union(c.Phones, phones)
			what = "contact"
			note = strings.Join(phones, ", ")
			if m.Contact.Name != "" {
				note += " (" + m.Contact.Name + ")"
			}
		}
		c.Updated = m.Time
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save case %d: %w", c.ID, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: c.ID, At: m.Time, Actor: m.Sender, Kind: what, Note: note}); err != nil {
			return err
		}
		in.env.Log.Info("detail attached to case", "case", c.ID, "kind", what, "chat", m.Chat)
		return in.Updated(tx, c, m.Sender, what, note)
	})
}

// detailTarget is the open case a map pin or contact card in a group
// belongs to: the plea it replies to, else the sender's own latest plea in
// this chat within AttachWindow; nil for none.
func (in *Intake) detailTarget(tx *store.Tx, m platform.Message) (*store.Case, error) {
	if m.ReplyTo != "" {
		c, err := tx.CaseOfMessage(store.MessageKey{Chat: m.Chat, ID: m.ReplyTo})
		if err != nil {
			return nil, fmt.Errorf("find the plea replied to: %w", err)
		}
		if c != nil && c.Status.Open() {
			return c, nil
		}
	}
	cases, err := tx.CasesByAsker(m.Sender)
	if err != nil {
		return nil, fmt.Errorf("list cases of %s: %w", m.Sender, err)
	}
	for _, c := range cases { // newest first
		if !c.Status.Open() {
			continue
		}
		recent, err := tx.SourcesNewest(c.ID, 0, 8)
		if err != nil {
			return nil, fmt.Errorf("read sources of case %d: %w", c.ID, err)
		}
		for _, s := range recent {
			if s.Chat == m.Chat && s.Sender == m.Sender && !m.Time.Before(s.At) && m.Time.Sub(s.At) <= AttachWindow {
				return c, nil
			}
		}
	}
	return nil, nil
}

// ContactPhones are the phone numbers of a contact card, read the way
// triage reads numbers in text (so the phone region applies and a number
// already on the case is recognised as the same); a number triage does
// not recognise is kept as written.
func (in *Intake) ContactPhones(ct *platform.Contact) []string {
	raw := strings.TrimSpace(ct.Phone)
	if raw == "" {
		return nil
	}
	if ph := in.triage.Assess(raw).Phones; len(ph) > 0 {
		return ph
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '+' {
			return r
		}
		return -1
	}, raw)
	if len(strings.TrimPrefix(digits, "+")) < 5 {
		return nil
	}
	return []string{digits}
}

// Words fills in the text of a message that carries its words elsewhere:
// a shared link's title and description, or a forwarded chat record's
// items (when the adapter has not already put them in the text).
func Words(m platform.Message) platform.Message {
	if strings.TrimSpace(m.Text) != "" {
		return m
	}
	var lines []string
	if l := m.Link; l != nil {
		for _, s := range []string{l.Title, l.Desc} {
			if s = strings.TrimSpace(s); s != "" {
				lines = append(lines, s)
			}
		}
	}
	for _, it := range m.Record {
		if t := strings.TrimSpace(it.Text); t != "" {
			lines = append(lines, t)
		}
	}
	m.Text = strings.Join(lines, "\n")
	return m
}

// UnknownUrgency is the urgency given to a case whose words the bot could
// not read (a voice message, a picture): the alerting level, at least
// high, because a person who can only speak may be the most urgent of all.
func (in *Intake) UnknownUrgency() triage.Urgency { return max(in.alertAt, triage.High) }

// IngestUnread opens a case for a message whose words the bot cannot read
// (a voice note or a picture without a plea in its caption): never merged
// (there is nothing to compare), urgency unknown and treated as urgent,
// alerted at once. text is what words there are (a caption, details sent
// earlier). Each then runs in the same transaction. It returns nil for a
// message already handled.
func (in *Intake) IngestUnread(ctx context.Context, m platform.Message, text string, then ...func(tx *store.Tx, c *store.Case, merged bool) error) (*store.Case, error) {
	proposal := ProposalAtLeast(m, in.triage.Assess(text), in.UnknownUrgency())
	proposal.Text, proposal.UrgencyUnknown = text, true
	var res store.IngestResult
	err := in.env.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		res, err = tx.Ingest(store.IngestRequest{Msg: env.MsgKey(m), At: m.Time, Case: proposal})
		if err != nil || res.Duplicate {
			return err
		}
		if err := in.QueueAlerts(tx, res.Case); err != nil {
			return err
		}
		for _, f := range then {
			if err := f(tx, res.Case, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ingest unread plea: %w", err)
	}
	if res.Duplicate {
		return nil, nil
	}
	in.env.Log.Info("unread plea recorded", "case", res.Case.ID, "media", len(m.Media), "urgency", res.Case.Urgency.String())
	return res.Case, nil
}

// ReadLater queues the image of m for OCR; its text joins case id when
// read. Without OCR it does nothing.
func (in *Intake) ReadLater(m platform.Message, id int64) {
	if image, ok := imageOf(m); ok {
		in.readLater(m, image, id)
	}
}
