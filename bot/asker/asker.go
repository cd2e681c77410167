// Package asker talks with people who write to the bot privately: their
// plea becomes a case at once, and the bot asks for what volunteers still
// lack, one short question per reply.
package asker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/intake"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// An asker is anyone who writes to the bot privately. The conversation is
// a small form filled one answer at a time: the first plea becomes a case
// at once (and an urgent one alerts the volunteers before anything is
// asked), then the bot asks for what volunteers still lack — what is
// needed, where, a phone number, for whom — one short question per reply,
// appending every answer to the same case so nobody starts over.
//
// Which case a private message belongs to (only ever the sender's own: a
// private message never joins someone else's case, whatever it resembles):
//   - a message starting with "#N" goes to the asker's case N;
//   - otherwise it goes to the asker's newest open case (the one the
//     conversation is filling), unless it is clearly a new request: no
//     question is pending and triage files it under a different, specific
//     category than that case (dialysis vs. food) — then it opens a new case;
//   - with no open case, a request opens one; anything else gets a short
//     explanation (details sent before the request are kept as a draft).
//
// A new private plea that resembles another person's open case (the same
// phone, a near-copy of the text) still becomes the sender's own case: the
// sender may be a relative — or a stranger who found the number and wants
// the address. The two cases are linked for the coordinators ("may be
// about #N"), who can merge them after calling; the sender hears only
// about their own request. Askers see only what they themselves wrote.

// Asker runs the private conversations.
type Asker struct {
	env     *env.Env
	triage  *triage.Engine
	intake  *intake.Intake
	rooms   *rooms.Rooms
	actions *actions.Actions
	// retentionDays is told to askers: how long their data is kept.
	retentionDays int
	// media relays voice notes and photos (media.go); emergency is the
	// emergency number to tell an asker in lang.
	media     *media.Service
	emergency func(lang string) string
}

// New makes the asker conversations.
func New(e *env.Env, t *triage.Engine, in *intake.Intake, rm *rooms.Rooms, act *actions.Actions, retentionDays int) *Asker {
	return &Asker{env: e, triage: t, intake: in, rooms: rm, actions: act, retentionDays: retentionDays}
}

// askerConv is the conversation state of one person, kept under convKey.
type askerConv struct {
	Case   int64          `json:"case,omitempty"`   // the case being filled
	Asking string         `json:"asking,omitempty"` // the field last asked for
	Asked  map[string]int `json:"asked,omitempty"`  // how often each field was asked
	Draft  string         `json:"draft,omitempty"`  // details sent before any request
	// DraftAt is when the first detail of Draft or Location came: after
	// DraftWait without a request they go to the volunteers anyway.
	DraftAt time.Time `json:"draft_at,omitzero"`
	// Location is a map pin sent before any request (media.go).
	Location *store.GeoPoint `json:"location,omitempty"`
	// Keyboard is the field whose share button is showing ("where",
	// "phone"), so the next reply can take it away.
	Keyboard string `json:"keyboard,omitempty"`
}

func convKey(person string) string { return "conv:" + person }

// Forget drops the conversation state of person (the retention purge).
func Forget(tx *store.Tx, person string) error {
	if err := tx.PutState(convKey(person), nil); err != nil {
		return fmt.Errorf("forget conversation of %s: %w", person, err)
	}
	return nil
}

// Fields the conversation asks for, in the order asked: where and how to
// reach someone matter most to a volunteer, so they come before "for whom".
const (
	fieldNeed  = "need"
	fieldWhere = "where"
	fieldPhone = "phone"
	fieldWho   = "who"
)

// maxAsk is how often a field may be asked before the bot moves on: people
// who don't want to give a number must not be nagged.
var maxAsk = map[string]int{fieldNeed: 1, fieldWhere: 1, fieldPhone: 2, fieldWho: 1}

var (
	casePrefix = regexp.MustCompile(`^\s*#(\d+)[\s:：,，]*`)
	// agePattern notices an age or condition given in words triage does
	// not file as a vulnerable group ("78岁", "aged 80", "he is 6 years old").
	agePattern = regexp.MustCompile(`(?i)\d+\s*(岁|周岁|个月|years?\b|yrs?\b|y/o|months?\b)|aged\s*\d+|病|diabet|pregnan|disab|cancer|癌|残|孕`)
)

// Handle answers a person writing to the bot privately.
func (as *Asker) Handle(ctx context.Context, m platform.Message, chat *store.Chat) error {
	m = intake.Words(m)
	if media.Has(m) {
		return as.handleMedia(ctx, m, chat)
	}
	text := strings.TrimSpace(m.Text)
	var (
		conv   askerConv
		person *store.Person
		open   []*store.Case
		chosen *store.Case
		badRef int64
	)
	if err := as.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if person, err = loadPerson(tx, m); err != nil {
			return err
		}
		if conv, err = loadConv(tx, m.Sender); err != nil {
			return err
		}
		cases, err := tx.CasesByAsker(m.Sender)
		if err != nil {
			return fmt.Errorf("list cases of %s: %w", m.Sender, err)
		}
		for _, c := range cases {
			if c.Status.Open() {
				open = append(open, c)
			}
		}
		if conv.Case != 0 && !slices.ContainsFunc(cases, func(c *store.Case) bool { return c.ID == conv.Case }) {
			// Not (or no longer) theirs: a conversation fills only the
			// sender's own cases.
			conv = askerConv{}
		}
		if sm := casePrefix.FindStringSubmatch(text); sm != nil {
			id, _ := strconv.ParseInt(sm[1], 10, 64)
			badRef = id
			for _, c := range cases {
				if c.ID == id {
					chosen, badRef = c, 0
				}
			}
			text = strings.TrimSpace(text[len(sm[0]):])
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read asker %s: %w", m.Sender, err)
	}
	lang := i18n.LangOf(person, as.env.Lang(chat))
	a := as.triage.Assess(text)
	if person.Language == "" && (a.Language == "zh" || a.Language == "en") {
		lang = a.Language
	}
	lang = i18n.Script(lang, text)
	switch {
	case badRef != 0:
		return as.askerReply(ctx, m, person, lang, nil, i18n.T(lang, "I can't find a request #%d of yours.", badRef)+"\n"+OpenList(open, lang))
	case chosen != nil && !chosen.Status.Open():
		return as.askerReply(ctx, m, person, lang, nil, i18n.T(lang, "Your request #%d is already %s. If you need help again, just tell me what you need.", chosen.ID, i18n.Status(lang, chosen.Status)))
	case chosen != nil && text == "":
		// A bare "#N" chooses the case the next messages go to.
		conv = askerConv{Case: chosen.ID, Asked: map[string]int{}}
		return as.askerReply(ctx, m, person, lang, &conv, i18n.T(lang, "OK: your next messages are added to request #%d.", chosen.ID))
	case chosen != nil:
		return as.addToCase(ctx, m, person, lang, conv, chosen.ID, text)
	}
	var current *store.Case
	for _, c := range open {
		if c.ID == conv.Case {
			current = c
		}
	}
	if current == nil && len(open) > 0 {
		current = open[0] // CasesByAsker is newest first
	}
	if current != nil && !isNewRequest(conv, current, a) {
		return as.addToCase(ctx, m, person, lang, conv, current.ID, text)
	}
	if !a.IsRequest {
		if info := len(a.Phones) > 0 || len(a.Places) > 0 || len(a.Vulnerable) > 0; info || conv.Draft != "" {
			// Details before the request: keep them so the plea that
			// follows carries them, and ask for the need itself.
			if info {
				conv.Draft = strings.TrimSpace(conv.Draft + "\n" + text)
			}
			return as.askerReply(ctx, m, person, lang, &conv, i18n.T(lang, "Thank you, I noted that. What do you need help with?"))
		}
		return as.askerReply(ctx, m, person, lang, nil, i18n.T(lang, "Hello! I am Lifeline, a bot that passes requests for help to volunteer teams. If you or someone near you needs help, tell me in your own words what is needed, for whom, where, and a phone number. Send /status to see your requests."))
	}
	return as.newAskerCase(ctx, m, chat, person, lang, conv, text, a)
}

// isNewRequest says whether a message opens a new case rather than adding
// to current (see the rule at the top of this file).
func isNewRequest(conv askerConv, current *store.Case, a triage.Assessment) bool {
	if conv.Asking != "" && conv.Case == current.ID {
		return false // it answers our question
	}
	specific := func(c triage.Category) bool { return c != triage.CatNone && c != triage.CatOther }
	return a.IsRequest && specific(a.Category) && specific(current.Category) && a.Category != current.Category
}

// newAskerCase registers a private plea through the intake path (so an
// urgent one is alerted in that same transaction), then answers with the
// case number, what was understood and the first question.
func (as *Asker) newAskerCase(ctx context.Context, m platform.Message, chat *store.Chat, person *store.Person, lang string, conv askerConv, text string, a triage.Assessment) error {
	if conv.Draft != "" {
		text = conv.Draft + "\n" + text
		a = as.triage.Assess(text)
	}
	plea := m
	plea.Text = text
	c, err := as.ingest(ctx, plea, a, as.applyDraft(conv), as.intake.RelayMedia(m, true))
	if err != nil || c == nil {
		return err // nil case: a redelivered message, already answered
	}
	err = as.env.Store.Update(ctx, func(tx *store.Tx) error {
		if err := as.rememberAsker(tx, m, person, lang); err != nil {
			return err
		}
		conv = askerConv{Case: c.ID, Asked: map[string]int{}}
		var b strings.Builder
		urgent := c.Urgency >= as.intake.AlertAt()
		reach := delivery.ReachVolunteers
		if urgent {
			// "Alerted" is said only when the alert reaches someone now.
			if reach, err = delivery.AlertReach(tx, as.env); err != nil {
				return err
			}
		}
		switch {
		case urgent && reach == delivery.ReachNobody:
			b.WriteString(i18n.T(lang, "I could not reach the volunteers right now. Your request is saved and goes to them as soon as they can be reached. If a life is in danger, call the emergency number (%s) now.", as.Emergency(lang)) + "\n\n")
		case urgent && reach == delivery.ReachAdmins:
			b.WriteString(i18n.T(lang, "I could not reach the volunteers' group right now, so I sent your request to the team's organisers directly. If a life is in danger, call the emergency number (%s) now.", as.Emergency(lang)) + "\n\n")
		case c.Urgency == triage.Critical:
			b.WriteString(i18n.T(lang, "This sounds urgent: I have alerted the volunteers right away. If a life is in danger, also call the emergency number (%s) now.", as.Emergency(lang)) + "\n\n")
		case urgent:
			b.WriteString(i18n.T(lang, "I have alerted the volunteers.") + "\n\n")
		}
		b.WriteString(i18n.T(lang, "Your request is registered as #%d.", c.ID))
		send := as.askerSend
		if urgent {
			send = as.askerSendUrgent // the answer to a plea: ahead of any backlog
		}
		b.WriteString("\n" + understood(c, lang))
		if missing := missingFields(c); len(missing) > 0 {
			names := make([]string, len(missing))
			for i, f := range missing {
				names[i] = i18n.T(lang, "field:"+f)
			}
			b.WriteString("\n" + i18n.T(lang, "To help, the volunteers still need: %s.", strings.Join(names, i18n.T(lang, ", "))))
		}
		if err := send(tx, m, c.ID, b.String(), 1); err != nil {
			return err
		}
		if !person.PrivacyTold {
			person.PrivacyTold = true
			if err := as.askerSend(tx, m, c.ID, i18n.T(lang, "About your data: the volunteers in the team's coordination group see your phone number and address so they can help you. If your request is shared in public groups, the phone number and house number are hidden. Your phone, address and messages are deleted %d days after your case is finished.", as.retentionDays), 2); err != nil {
				return err
			}
		}
		if err := tx.PutPerson(person); err != nil {
			return fmt.Errorf("save person %s: %w", person.Ref, err)
		}
		return as.askNext(tx, m, lang, &conv, c, 3)
	})
	if err != nil {
		return fmt.Errorf("answer asker %s: %w", m.Sender, err)
	}
	as.intake.ReadLater(m, c.ID)
	as.rooms.MaybeAuto(ctx, c)
	return nil
}

// addToCase appends an asker's message to their case: re-triaged with the
// rest of the text, urgency only ever raised, the answer filed where it
// belongs, relayed to a bridged room, and the next question asked.
func (as *Asker) addToCase(ctx context.Context, m platform.Message, person *store.Person, lang string, conv askerConv, id int64, text string) error {
	var raised *store.Case
	err := as.env.Once(ctx, m, func(tx *store.Tx) error {
		if err := as.rememberAsker(tx, m, person, lang); err != nil {
			return err
		}
		if err := tx.PutPerson(person); err != nil {
			return fmt.Errorf("save person %s: %w", person.Ref, err)
		}
		c, err := tx.Case(id)
		if err != nil {
			return fmt.Errorf("read case %d: %w", id, err)
		}
		if conv.Case != id {
			conv = askerConv{Case: id, Asked: map[string]int{}}
		}
		part := as.triage.Assess(text)
		answering := conv.Asking
		informative := answering != "" || part.IsRequest || len(part.Phones) > 0 || len(part.Places) > 0 ||
			len(part.Vulnerable) > 0 || len(part.Durations) > 0
		if !informative {
			// Small talk about a case ("thanks", "when will they come?") is
			// history and goes to the room, but does not grow the plea.
			if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: "message", Note: cards.Clip(text, 1000)}); err != nil {
				return fmt.Errorf("record message on case %d: %w", id, err)
			}
			relayed, err := as.rooms.RelayFromAsker(tx, c, text)
			if err != nil {
				return err
			}
			reply := i18n.T(lang, "Your request #%d is %s.", id, i18n.Status(lang, c.Status))
			if relayed {
				reply = i18n.T(lang, "Passed on to the volunteers of #%d.", id)
			}
			return as.askerSend(tx, m, id, reply, 1)
		}
		before := c.Urgency
		switch {
		case answering == fieldWhere && !part.IsRequest:
			// The exact address goes to its own field, shown only where
			// personal data may be; the plea text stays the plea.
			c.Address = cards.Clip(strings.TrimSpace(c.Address+" "+text), 200)
		case answering == fieldPhone && !part.IsRequest:
			// The number lands in Phones below; a non-answer ("不知道") is
			// in the event log and needn't grow the plea.
		default:
			c.Text = joinPlea(c.Text, text, lang)
			if c.Address == "" && len(part.Places) > 0 && len(part.Phones) == 0 && !part.IsRequest {
				c.Address = cards.Clip(text, 200)
			}
		}
		c.Assessment = as.triage.Assess(c.Text)
		if c.Category == triage.CatNone || c.Category == triage.CatOther {
			if c.Assessment.Category != triage.CatNone {
				c.Category = c.Assessment.Category
			}
		}
		if c.Assessment.Urgency > c.Urgency {
			c.Urgency = c.Assessment.Urgency // never lowered: a coordinator may have raised it
		}
		c.Phones = env.Union(c.Phones, part.Phones)
		c.Updated = m.Time
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save case %d: %w", id, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: "asker_info", From: before.String(), To: c.Urgency.String(), Note: cards.Clip(text, 1000)}); err != nil {
			return fmt.Errorf("record details on case %d: %w", id, err)
		}
		if c.Urgency > before {
			if err := as.intake.QueueAlerts(tx, c); err != nil {
				return err
			}
			raised = c
		}
		if _, err := as.actions.RefreshCards(tx, c, m.Sender, "asker_info"); err != nil {
			return err
		}
		if _, err := as.rooms.RelayFromAsker(tx, c, text); err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(i18n.T(lang, "Thank you, I added that to your request #%d.", id))
		if c.Urgency > before && c.Urgency >= as.intake.AlertAt() {
			line, err := as.raisedLine(tx, lang, c)
			if err != nil {
				return err
			}
			b.WriteString("\n" + line)
		}
		if next := nextField(conv, c); next == "" && answering != "" {
			own, err := OwnView(tx, c, m.Sender)
			if err != nil {
				return err
			}
			b.WriteString("\n" + understood(own, lang))
		}
		if err := as.askerSend(tx, m, id, b.String(), 1); err != nil {
			return err
		}
		return as.askNext(tx, m, lang, &conv, c, 2)
	})
	if err != nil {
		return fmt.Errorf("add details to case %d: %w", id, err)
	}
	if raised != nil {
		as.rooms.MaybeAuto(ctx, raised)
	}
	return nil
}

// joinPlea appends an answer to the plea text. Triage does not treat a
// line break as the end of a sentence, so Chinese text gets a full stop
// first: otherwise words run across the join ("透析" + "浦东…").
func joinPlea(plea, more, lang string) string {
	plea = strings.TrimSpace(plea)
	if plea == "" {
		return more
	}
	last, _ := utf8.DecodeLastRuneInString(plea)
	if i18n.IsChinese(lang) && !strings.ContainsRune("。！？!?.，,；;", last) {
		plea += "。"
	}
	return plea + "\n" + more
}

// askNext asks the next missing detail of c, or says that nothing more is
// needed once, and saves the conversation.
func (as *Asker) askNext(tx *store.Tx, m platform.Message, lang string, conv *askerConv, c *store.Case, seq int) error {
	field := nextField(*conv, c)
	wasAsking := conv.Asking
	conv.Asking = field
	if conv.Asked == nil {
		conv.Asked = map[string]int{}
	}
	var text string
	kb := as.keyboard(lang, field, conv)
	switch field {
	case fieldNeed:
		text = i18n.T(lang, "What exactly do you need? (for example medicine, dialysis, food, a hospital visit)")
	case fieldWhere:
		text = i18n.T(lang, "Where are you? Please tell me the district, street and compound.")
	case fieldPhone:
		text = i18n.T(lang, "What phone number can the volunteers call?")
		if conv.Asked[fieldPhone] > 0 {
			text = i18n.T(lang, "I couldn't find a phone number in that. Please send the number the volunteers can call, for example 13812345678.")
		}
	case fieldWho:
		text = i18n.T(lang, "Who is the help for? Please tell me their age and condition (for example: 78, diabetic, lives alone).")
	default:
		if wasAsking != "" || seq == 3 {
			text = i18n.T(lang, "That is everything the volunteers need for now; they will contact you. You can add details here at any time, send /status to see your requests, or /cancel if you no longer need help.")
		}
	}
	if field != "" {
		conv.Asked[field]++
	}
	conv.Draft = ""
	if err := putConv(tx, m.Sender, *conv, as.env.Now()); err != nil {
		return err
	}
	if text == "" {
		return nil
	}
	return as.askerSendKB(tx, m, c.ID, text, seq, kb)
}

// nextField is the first missing detail not yet asked too often.
func nextField(conv askerConv, c *store.Case) string {
	for _, f := range missingFields(c) {
		if conv.Asked[f] < maxAsk[f] {
			return f
		}
	}
	return ""
}

func missingFields(c *store.Case) []string {
	var out []string
	if c.Category == triage.CatNone || c.Category == triage.CatOther {
		out = append(out, fieldNeed)
	}
	if c.Address == "" && len(c.Assessment.Places) == 0 && c.Location == nil {
		out = append(out, fieldWhere)
	}
	if len(c.Phones) == 0 {
		out = append(out, fieldPhone)
	}
	if len(c.Assessment.Vulnerable) == 0 && !agePattern.MatchString(c.Text) {
		out = append(out, fieldWho)
	}
	return out
}

// understood says back what the bot took from the asker's words, unmasked:
// these are their own details.
func understood(c *store.Case, lang string) string {
	parts := []string{i18n.T(lang, "need: %s (%s)", i18n.Category(lang, c.Category), i18n.Urgency(lang, c.Urgency))}
	if who := cards.Vulnerable(c, lang); who != "" {
		parts = append(parts, i18n.T(lang, "for: %s", who))
	}
	if where := cards.Places(c, cards.Unmasked); where != "" {
		parts = append(parts, i18n.T(lang, "where: %s", where))
	}
	if len(c.Phones) > 0 {
		parts = append(parts, i18n.T(lang, "contact: %s", strings.Join(c.Phones, ", ")))
	}
	return i18n.T(lang, "I understood — %s.", strings.Join(parts, i18n.T(lang, "; ")))
}

// askerReply answers a private message that changes no case.
func (as *Asker) askerReply(ctx context.Context, m platform.Message, person *store.Person, lang string, conv *askerConv, text string) error {
	return as.env.Once(ctx, m, func(tx *store.Tx) error {
		if err := as.rememberAsker(tx, m, person, lang); err != nil {
			return err
		}
		if err := tx.PutPerson(person); err != nil {
			return fmt.Errorf("save person %s: %w", person.Ref, err)
		}
		if conv != nil {
			if err := putConv(tx, m.Sender, *conv, as.env.Now()); err != nil {
				return err
			}
		}
		return as.askerSend(tx, m, 0, text, 1)
	})
}

// askerSend queues the seq-th reply to message m in its private chat.
func (as *Asker) askerSend(tx *store.Tx, m platform.Message, caseID int64, text string, seq int) error {
	return as.askerSendKB(tx, m, caseID, text, seq, nil)
}

// askerSendUrgent is askerSend in the alert lane: the answer that tells an
// asker what happened to their urgent plea goes ahead of any backlog.
func (as *Asker) askerSendUrgent(tx *store.Tx, m platform.Message, caseID int64, text string, seq int) error {
	it := delivery.Item(as.env.Now(), delivery.KindReply, caseID, platform.OutMessage{Chat: m.Chat, Text: text}, delivery.ReplyKey(m.Chat, env.MsgKey(m).ID, seq))
	it.Priority = store.PriorityAlert
	if _, err := tx.Enqueue(&it); err != nil {
		return fmt.Errorf("queue answer for %s: %w", m.Chat, err)
	}
	return nil
}

// raisedLine tells an asker their case was raised to an alerting urgency:
// "the volunteers have been alerted" only when an alert can reach someone.
func (as *Asker) raisedLine(tx *store.Tx, lang string, c *store.Case) (string, error) {
	reach, err := delivery.AlertReach(tx, as.env)
	if err != nil {
		return "", err
	}
	if reach != delivery.ReachVolunteers {
		return i18n.T(lang, "It is now marked %s, but I could not reach the volunteers right now; it goes to them as soon as they can be reached. If a life is in danger, call the emergency number (%s) now.", i18n.Urgency(lang, c.Urgency), as.Emergency(lang)), nil
	}
	return i18n.T(lang, "It is now marked %s and the volunteers have been alerted.", i18n.Urgency(lang, c.Urgency)), nil
}

// askerSendKB is askerSend with a reply keyboard (share buttons, or their
// removal).
func (as *Asker) askerSendKB(tx *store.Tx, m platform.Message, caseID int64, text string, seq int, kb *platform.ReplyKeyboard) error {
	return delivery.Enqueue(tx, as.env.Now(), delivery.KindReply, caseID, platform.OutMessage{Chat: m.Chat, Text: text, Keyboard: kb}, delivery.ReplyKey(m.Chat, env.MsgKey(m).ID, seq))
}

// rememberAsker records the person's private chat (so notices and room
// relays can reach them) and their language.
func (as *Asker) rememberAsker(tx *store.Tx, m platform.Message, p *store.Person, lang string) error {
	if p.Language == "" || i18n.IsChinese(p.Language) && i18n.IsChinese(lang) {
		p.Language = lang // a Chinese writer's script is remembered as it changes
	}
	if p.Name == "" {
		p.Name = m.SenderName
	}
	p.Updated = as.env.Now()
	cur, err := delivery.PrivateChat(tx, m.Sender)
	if err != nil {
		return fmt.Errorf("read private chat of %s: %w", m.Sender, err)
	}
	if cur == m.Chat {
		return nil
	}
	return delivery.RecordPrivateChat(tx, m.Sender, m.Chat)
}

func loadPerson(tx *store.Tx, m platform.Message) (*store.Person, error) {
	p, err := tx.Person(m.Sender)
	if errors.Is(err, store.ErrNotFound) {
		return &store.Person{Ref: m.Sender, Name: m.SenderName}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read person %s: %w", m.Sender, err)
	}
	return p, nil
}

func loadConv(tx *store.Tx, person string) (askerConv, error) {
	var conv askerConv
	raw, err := tx.GetState(convKey(person))
	if err != nil || raw == nil {
		return conv, err
	}
	if err := json.Unmarshal(raw, &conv); err != nil {
		return askerConv{}, fmt.Errorf("decode conversation of %s: %w", person, err)
	}
	return conv, nil
}

// putConv stores person's conversation, stamping when details first
// waited for a request (now) or clearing the stamp once none wait.
func putConv(tx *store.Tx, person string, conv askerConv, now time.Time) error {
	switch {
	case conv.Draft == "" && conv.Location == nil:
		conv.DraftAt = time.Time{}
	case conv.DraftAt.IsZero():
		conv.DraftAt = now
	}
	raw, err := json.Marshal(conv)
	if err != nil {
		return fmt.Errorf("encode conversation of %s: %w", person, err)
	}
	return tx.PutState(convKey(person), raw)
}

// OpenList lists open cases for the asker, or says there are none.
func OpenList(open []*store.Case, lang string) string {
	if len(open) == 0 {
		return i18n.T(lang, "You have no open requests.")
	}
	lines := []string{i18n.T(lang, "Your open requests:")}
	for _, c := range open {
		lines = append(lines, fmt.Sprintf("  #%d %s · %s", c.ID, i18n.Category(lang, c.Category), i18n.Status(lang, c.Status)))
	}
	return strings.Join(lines, "\n")
}
