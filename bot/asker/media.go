package asker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Every media message in a private chat gets an answer:
//
//   - a voice note, audio, photo or file joins the asker's open case, or
//     opens one: with a caption that is a plea, as that plea; without, as
//     "voice message — listen" with its urgency unknown and treated as
//     urgent (alerted at once) until a volunteer sets it. Either way it is
//     relayed to the coordination chats (and the case's room): volunteers
//     cannot see a private chat. A voice note joining a case whose urgency
//     no volunteer has set raises it the same way. Photos are also read by
//     OCR when it is on;
//   - a map pin fills the case's place with coordinates and a map link; a
//     contact card fills its phone. Before any plea both are kept for the
//     plea that follows;
//   - a sticker, or a video with no case to join, gets a short honest
//     answer: the bot cannot understand it, and how to ask instead.

// SetMedia gives the conversations the media service.
func (as *Asker) SetMedia(s *media.Service) { as.media = s }

// SetEmergency sets the emergency number told to askers, by reply
// language.
func (as *Asker) SetEmergency(f func(lang string) string) { as.emergency = f }

// Emergency is the emergency number to tell an asker writing in lang.
func (as *Asker) Emergency(lang string) string {
	if as.emergency != nil {
		if n := as.emergency(lang); n != "" {
			return n
		}
	}
	return "120"
}

// keyboard is the reply keyboard for the question about field: a share
// button for the place or the phone, or the removal of one shown before.
// It records in conv what is showing.
func (as *Asker) keyboard(lang, field string, conv *askerConv) *platform.ReplyKeyboard {
	var kb *platform.ReplyKeyboard
	switch field {
	case fieldWhere:
		kb = &platform.ReplyKeyboard{ShareLocation: i18n.T(lang, "📍 Share my location")}
	case fieldPhone:
		kb = &platform.ReplyKeyboard{SharePhone: i18n.T(lang, "📞 Share my phone number")}
	default:
		if conv.Keyboard != "" {
			kb = &platform.ReplyKeyboard{Remove: true}
		}
	}
	conv.Keyboard = ""
	if kb != nil && !kb.Remove {
		conv.Keyboard = field
	}
	return kb
}

// applyDraft puts a map pin sent before the plea on the plea's case.
func (as *Asker) applyDraft(conv askerConv) func(tx *store.Tx, c *store.Case, merged bool) error {
	return func(tx *store.Tx, c *store.Case, merged bool) error {
		if conv.Location == nil || c.Location != nil {
			return nil
		}
		c.Location = conv.Location
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save location of case %d: %w", c.ID, err)
		}
		return nil
	}
}

// privateState is what a private media message is decided on.
type privateState struct {
	person  *store.Person
	conv    askerConv
	current *store.Case // the open case the conversation is filling, if any
}

func (as *Asker) loadState(ctx context.Context, m platform.Message) (privateState, error) {
	var st privateState
	err := as.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if st.person, err = loadPerson(tx, m); err != nil {
			return err
		}
		if st.conv, err = loadConv(tx, m.Sender); err != nil {
			return err
		}
		cases, err := tx.CasesByAsker(m.Sender)
		if err != nil {
			return fmt.Errorf("list cases of %s: %w", m.Sender, err)
		}
		if st.conv.Case != 0 && !slices.ContainsFunc(cases, func(c *store.Case) bool { return c.ID == st.conv.Case }) {
			// Their plea was merged into someone else's case.
			c, err := tx.Case(st.conv.Case)
			if err == nil {
				cases = append([]*store.Case{c}, cases...)
			} else if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("read case %d: %w", st.conv.Case, err)
			}
		}
		for _, c := range cases { // newest first
			if !c.Status.Open() {
				continue
			}
			if c.ID == st.conv.Case {
				st.current = c
				break
			}
			if st.current == nil {
				st.current = c
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("read asker %s: %w", m.Sender, err)
	}
	return st, nil
}

// handleMedia answers a private message that carries media, a map pin or
// a contact card.
func (as *Asker) handleMedia(ctx context.Context, m platform.Message, chat *store.Chat) error {
	st, err := as.loadState(ctx, m)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(m.Text)
	a := as.triage.Assess(text)
	lang := i18n.LangOf(st.person, as.env.Lang(chat))
	if st.person.Language == "" && (a.Language == "zh" || a.Language == "en") {
		lang = a.Language
	}
	lang = i18n.Script(lang, text)
	switch {
	case m.Location != nil:
		return as.sharedLocation(ctx, m, st, lang)
	case m.Contact != nil:
		return as.sharedContact(ctx, m, st, lang)
	}
	var md platform.Media
	for _, x := range m.Media {
		if media.Relayable(x.Kind) {
			md = x
			break
		}
	}
	switch {
	case md.Kind == "":
		return as.askerReply(ctx, m, st.person, lang, nil, i18n.T(lang, "I can't understand stickers. Please tell me in words, or in a voice message, what help is needed."))
	case st.current != nil && !isNewRequest(st.conv, st.current, a):
		return as.joinMedia(ctx, m, st, lang, md, text)
	case a.IsRequest:
		return as.newAskerCase(ctx, m, chat, st.person, lang, st.conv, text, a)
	case md.Kind == platform.MediaVideo:
		return as.askerReply(ctx, m, st.person, lang, nil, i18n.T(lang, "I can't watch videos. If you need help, please tell me in words, or send a voice message or a photo."))
	}
	return as.newUnreadCase(ctx, m, st, lang, md, text)
}

// newUnreadCase opens a case for a voice note or picture whose words the
// bot cannot read, alerts and relays it, and answers.
func (as *Asker) newUnreadCase(ctx context.Context, m platform.Message, st privateState, lang string, md platform.Media, text string) error {
	conv := st.conv
	if conv.Draft != "" {
		text = strings.TrimSpace(conv.Draft + "\n" + text)
	}
	c, err := as.intake.IngestUnread(ctx, m, text, as.applyDraft(conv), as.intake.RelayMedia(m, true),
		func(tx *store.Tx, c *store.Case, _ bool) error {
			if err := as.rememberAsker(tx, m, st.person, lang); err != nil {
				return err
			}
			conv = askerConv{Case: c.ID, Asked: map[string]int{}}
			var b strings.Builder
			b.WriteString(i18n.T(lang, "I received your %s and passed it on to the volunteers right away as request #%d. If a life is in danger, also call the emergency number (%s) now.",
				i18n.MediaKind(lang, string(md.Kind)), c.ID, as.Emergency(lang)))
			b.WriteString("\n" + i18n.T(lang, "If you can, also write what is needed, where, and a phone number: it helps them act faster."))
			if err := as.askerSend(tx, m, c.ID, b.String(), 1); err != nil {
				return err
			}
			if !st.person.PrivacyTold {
				st.person.PrivacyTold = true
				if err := as.askerSend(tx, m, c.ID, i18n.T(lang, "About your data: the volunteers in the team's coordination group see your phone number and address so they can help you. If your request is shared in public groups, the phone number and house number are hidden. Your phone, address and messages are deleted %d days after your case is finished.", as.retentionDays), 2); err != nil {
					return err
				}
			}
			if err := tx.PutPerson(st.person); err != nil {
				return fmt.Errorf("save person %s: %w", st.person.Ref, err)
			}
			return as.askNext(tx, m, lang, &conv, c, 3)
		})
	if err != nil || c == nil {
		return err
	}
	as.intake.ReadLater(m, c.ID)
	return nil
}

// joinMedia adds a voice note, photo or file (and its caption) to the
// asker's open case, relays it, and answers.
func (as *Asker) joinMedia(ctx context.Context, m platform.Message, st privateState, lang string, md platform.Media, text string) error {
	id := st.current.ID
	conv := st.conv
	var raised *store.Case
	err := as.env.Once(ctx, m, func(tx *store.Tx) error {
		if err := as.rememberAsker(tx, m, st.person, lang); err != nil {
			return err
		}
		if err := tx.PutPerson(st.person); err != nil {
			return fmt.Errorf("save person %s: %w", st.person.Ref, err)
		}
		c, err := tx.Case(id)
		if err != nil {
			return fmt.Errorf("read case %d: %w", id, err)
		}
		if conv.Case != id {
			conv = askerConv{Case: id, Asked: map[string]int{}}
		}
		before := c.Urgency
		for _, x := range m.Media {
			if media.Relayable(x.Kind) {
				media.Attach(c, media.Record(m, x))
			}
		}
		if text != "" {
			c.Text = joinPlea(c.Text, text, lang)
			c.Assessment = as.triage.Assess(c.Text)
			if (c.Category == triage.CatNone || c.Category == triage.CatOther) && c.Assessment.Category != triage.CatNone {
				c.Category = c.Assessment.Category
			}
			c.Urgency = max(c.Urgency, c.Assessment.Urgency)
			c.Phones = env.Union(c.Phones, c.Assessment.Phones)
		}
		if speaks := md.Kind == platform.MediaVoice || md.Kind == platform.MediaAudio; speaks && c.Urgency < as.intake.UnknownUrgency() {
			set, err := urgencySet(tx, id)
			if err != nil {
				return err
			}
			if !set {
				c.Urgency, c.UrgencyUnknown = as.intake.UnknownUrgency(), true
			}
		}
		c.Updated = m.Time
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save case %d: %w", id, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: "media", From: before.String(), To: c.Urgency.String(),
			Note: cards.Clip(strings.TrimSpace(string(md.Kind)+" "+text), 1000)}); err != nil {
			return fmt.Errorf("record media on case %d: %w", id, err)
		}
		if c.Urgency > before {
			if err := as.intake.QueueAlerts(tx, c); err != nil {
				return err
			}
			raised = c
		}
		if _, err := as.actions.RefreshCards(tx, c, m.Sender, "media"); err != nil {
			return err
		}
		if err := as.intake.RelayMedia(m, true)(tx, c, true); err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(i18n.T(lang, "Thank you, I passed your %s on to the volunteers of request #%d.", i18n.MediaKind(lang, string(md.Kind)), id))
		if md.Kind == platform.MediaVideo {
			b.WriteString(" " + i18n.T(lang, "I can't watch videos myself: if it says something important, please also write it."))
		}
		if raised != nil {
			line, err := as.raisedLine(tx, lang, c)
			if err != nil {
				return err
			}
			b.WriteString("\n" + line)
		}
		if err := as.askerSend(tx, m, id, b.String(), 1); err != nil {
			return err
		}
		return as.askNext(tx, m, lang, &conv, c, 2)
	})
	if err != nil {
		return fmt.Errorf("add media to case %d: %w", id, err)
	}
	as.intake.ReadLater(m, id)
	if raised != nil {
		as.rooms.MaybeAuto(ctx, raised)
	}
	return nil
}

// urgencySet says whether a volunteer has set the urgency of case id.
func urgencySet(tx *store.Tx, id int64) (bool, error) {
	evs, err := tx.Events(id)
	if err != nil {
		return false, fmt.Errorf("read history of case %d: %w", id, err)
	}
	return slices.ContainsFunc(evs, func(e store.Event) bool { return e.Kind == "urgency" }), nil
}

// sharedLocation puts a map pin on the asker's case, or keeps it for the
// plea that follows.
func (as *Asker) sharedLocation(ctx context.Context, m platform.Message, st privateState, lang string) error {
	pt := media.Point(m)
	where := "📍 " + cards.Coordinates(pt.Lat, pt.Lon)
	if pt.Title != "" {
		where += " (" + cards.Clip(pt.Title, 80) + ")"
	}
	where += " " + cards.MapLink(pt.Lat, pt.Lon)
	if st.current == nil {
		conv := st.conv
		conv.Location = pt
		return as.askerReplyKB(ctx, m, st.person, lang, &conv, i18n.T(lang, "Thank you, I noted your location (%s). What do you need help with?", where))
	}
	return as.addDetail(ctx, m, st, lang, "location", where, func(c *store.Case) bool {
		c.Location = pt
		return true
	})
}

// sharedContact puts a contact card's phone on the asker's case, or keeps
// it for the plea that follows.
func (as *Asker) sharedContact(ctx context.Context, m platform.Message, st privateState, lang string) error {
	phones := as.intake.ContactPhones(m.Contact)
	if len(phones) == 0 {
		return as.askerReply(ctx, m, st.person, lang, nil, i18n.T(lang, "That contact card has no phone number I can read. Please type the number the volunteers can call."))
	}
	number := strings.Join(phones, ", ")
	if st.current == nil {
		conv := st.conv
		conv.Draft = strings.TrimSpace(conv.Draft + "\n" + number)
		return as.askerReplyKB(ctx, m, st.person, lang, &conv, i18n.T(lang, "Thank you, I noted the number %s. What do you need help with?", number))
	}
	return as.addDetail(ctx, m, st, lang, "contact", number, func(c *store.Case) bool {
		n := len(c.Phones)
		c.Phones = env.Union(c.Phones, phones)
		return len(c.Phones) > n
	})
}

// addDetail applies a shared place or phone to the asker's current case:
// recorded, cards refreshed, passed to a bridged room, answered, and the
// next question asked.
func (as *Asker) addDetail(ctx context.Context, m platform.Message, st privateState, lang, what, shown string, apply func(c *store.Case) bool) error {
	id := st.current.ID
	conv := st.conv
	err := as.env.Once(ctx, m, func(tx *store.Tx) error {
		if err := as.rememberAsker(tx, m, st.person, lang); err != nil {
			return err
		}
		if err := tx.PutPerson(st.person); err != nil {
			return fmt.Errorf("save person %s: %w", st.person.Ref, err)
		}
		c, err := tx.Case(id)
		if err != nil {
			return fmt.Errorf("read case %d: %w", id, err)
		}
		if conv.Case != id {
			conv = askerConv{Case: id, Asked: map[string]int{}}
		}
		if apply(c) {
			c.Updated = m.Time
			if err := tx.PutCase(c); err != nil {
				return fmt.Errorf("save case %d: %w", id, err)
			}
			if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: what, Note: shown}); err != nil {
				return fmt.Errorf("record %s on case %d: %w", what, id, err)
			}
			if err := as.intake.Updated(tx, c, m.Sender, what, shown); err != nil {
				return err
			}
			if _, err := as.rooms.RelayFromAsker(tx, c, shown); err != nil {
				return err
			}
		}
		key := "Thank you, I added your location to request #%d: %s"
		if what == "contact" {
			key = "Thank you, I added the number to request #%d: %s"
		}
		if err := as.askerSend(tx, m, id, i18n.T(lang, key, id, shown), 1); err != nil {
			return err
		}
		return as.askNext(tx, m, lang, &conv, c, 2)
	})
	if err != nil {
		return fmt.Errorf("add %s to case %d: %w", what, id, err)
	}
	return nil
}

// askerReplyKB is askerReply that also takes away a share keyboard shown
// earlier (the person answered with something).
func (as *Asker) askerReplyKB(ctx context.Context, m platform.Message, person *store.Person, lang string, conv *askerConv, text string) error {
	return as.env.Once(ctx, m, func(tx *store.Tx) error {
		if err := as.rememberAsker(tx, m, person, lang); err != nil {
			return err
		}
		if err := tx.PutPerson(person); err != nil {
			return fmt.Errorf("save person %s: %w", person.Ref, err)
		}
		var kb *platform.ReplyKeyboard
		if conv.Keyboard != "" {
			kb, conv.Keyboard = &platform.ReplyKeyboard{Remove: true}, ""
		}
		if err := putConv(tx, m.Sender, *conv, as.env.Now()); err != nil {
			return err
		}
		return as.askerSendKB(tx, m, 0, text, 1, kb)
	})
}

// Focus ties the next private messages of person to their case id (a deep
// link to the case was opened).
func Focus(tx *store.Tx, person string, id int64) error {
	conv, err := loadConv(tx, person)
	if err != nil {
		return err
	}
	if conv.Case != id {
		conv = askerConv{Case: id, Asked: map[string]int{}, Keyboard: conv.Keyboard}
	}
	return putConv(tx, person, conv, time.Time{})
}
