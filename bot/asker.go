package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

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
// Which case a private message belongs to:
//   - a message starting with "#N" goes to the asker's case N;
//   - otherwise it goes to the asker's newest open case (the one the
//     conversation is filling), unless it is clearly a new request: no
//     question is pending and triage files it under a different, specific
//     category than that case (dialysis vs. food) — then it opens a new case;
//   - with no open case, a request opens one; anything else gets a short
//     explanation (details sent before the request are kept as a draft).

// askerConv is the conversation state of one person, kept under convKey.
type askerConv struct {
	Case   int64          `json:"case,omitempty"`   // the case being filled
	Asking string         `json:"asking,omitempty"` // the field last asked for
	Asked  map[string]int `json:"asked,omitempty"`  // how often each field was asked
	Draft  string         `json:"draft,omitempty"`  // details sent before any request
}

func convKey(person string) string { return "conv:" + person }

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

// handleAsker answers a person writing to the bot privately.
func (e *Engine) handleAsker(ctx context.Context, m Message, chat *store.Chat) error {
	text := strings.TrimSpace(m.Text)
	var (
		conv   askerConv
		person *store.Person
		open   []*store.Case
		chosen *store.Case
		badRef int64
	)
	if err := e.store.View(ctx, func(tx *store.Tx) error {
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
			// Their plea was merged into someone else's case: the
			// conversation goes on filling that one.
			c, err := tx.Case(conv.Case)
			if err == nil && c.Status.Open() {
				open = append(open, c)
				cases = append(cases, c)
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("read case %d: %w", conv.Case, err)
			}
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
	lang := langOf(person, e.lang(chat))
	a := e.triage.Assess(text)
	if person.Language == "" && (a.Language == "zh" || a.Language == "en") {
		lang = a.Language
	}
	switch {
	case badRef != 0:
		return e.askerReply(ctx, m, person, lang, nil, tr(lang, "I can't find a request #%d of yours.", badRef)+"\n"+openList(open, lang))
	case chosen != nil && !chosen.Status.Open():
		return e.askerReply(ctx, m, person, lang, nil, tr(lang, "Your request #%d is already %s. If you need help again, just tell me what you need.", chosen.ID, statusLabel(lang, chosen.Status)))
	case chosen != nil && text == "":
		// A bare "#N" chooses the case the next messages go to.
		conv = askerConv{Case: chosen.ID, Asked: map[string]int{}}
		return e.askerReply(ctx, m, person, lang, &conv, tr(lang, "OK: your next messages are added to request #%d.", chosen.ID))
	case chosen != nil:
		return e.addToCase(ctx, m, person, lang, conv, chosen.ID, text)
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
		return e.addToCase(ctx, m, person, lang, conv, current.ID, text)
	}
	if !a.IsRequest {
		if info := len(a.Phones) > 0 || len(a.Places) > 0 || len(a.Vulnerable) > 0; info || conv.Draft != "" {
			// Details before the request: keep them so the plea that
			// follows carries them, and ask for the need itself.
			if info {
				conv.Draft = strings.TrimSpace(conv.Draft + "\n" + text)
			}
			return e.askerReply(ctx, m, person, lang, &conv, tr(lang, "Thank you, I noted that. What do you need help with?"))
		}
		return e.askerReply(ctx, m, person, lang, nil, tr(lang, "Hello! I am Lifeline, a bot that passes requests for help to volunteer teams. If you or someone near you needs help, tell me in your own words what is needed, for whom, where, and a phone number. Send /status to see your requests."))
	}
	return e.newAskerCase(ctx, m, chat, person, lang, conv, text, a)
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
func (e *Engine) newAskerCase(ctx context.Context, m Message, chat *store.Chat, person *store.Person, lang string, conv askerConv, text string, a triage.Assessment) error {
	if conv.Draft != "" {
		text = conv.Draft + "\n" + text
		a = e.triage.Assess(text)
	}
	plea := m
	plea.Text = text
	c, err := e.ingest(ctx, plea, chat, a)
	if err != nil || c == nil {
		return err // nil case: a redelivered message, already answered
	}
	merged := c.SourceCount > 1 || c.Asker != m.Sender
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		if err := e.rememberAsker(tx, m, person, lang); err != nil {
			return err
		}
		conv = askerConv{Case: c.ID, Asked: map[string]int{}}
		var b strings.Builder
		if c.Urgency == triage.Critical {
			b.WriteString(tr(lang, "This sounds urgent: I have alerted the volunteers right away. If a life is in danger, also call the emergency number (120) now.") + "\n\n")
		} else if c.Urgency >= e.opts.AlertAt {
			b.WriteString(tr(lang, "I have alerted the volunteers.") + "\n\n")
		}
		if merged {
			b.WriteString(tr(lang, "This matches request #%d, which is already registered; I added your message to it.", c.ID))
		} else {
			b.WriteString(tr(lang, "Your request is registered as #%d.", c.ID))
		}
		b.WriteString("\n" + understood(c, lang))
		if missing := missingFields(c); len(missing) > 0 {
			names := make([]string, len(missing))
			for i, f := range missing {
				names[i] = tr(lang, "field:"+f)
			}
			b.WriteString("\n" + tr(lang, "To help, the volunteers still need: %s.", strings.Join(names, tr(lang, ", "))))
		}
		if err := e.askerSend(tx, m, c.ID, b.String(), 1); err != nil {
			return err
		}
		if !person.PrivacyTold {
			person.PrivacyTold = true
			if err := e.askerSend(tx, m, c.ID, tr(lang, "About your data: the volunteers in the team's coordination group see your phone number and address so they can help you. If your request is shared in public groups, the phone number and house number are hidden. Your phone, address and messages are deleted %d days after your case is finished.", e.opts.Workflow.RetentionDays), 2); err != nil {
				return err
			}
		}
		if err := tx.PutPerson(person); err != nil {
			return fmt.Errorf("save person %s: %w", person.Ref, err)
		}
		return e.askNext(tx, m, lang, &conv, c, 3)
	})
	if err != nil {
		return fmt.Errorf("answer asker %s: %w", m.Sender, err)
	}
	e.maybeAutoRoom(ctx, c)
	return nil
}

// addToCase appends an asker's message to their case: re-triaged with the
// rest of the text, urgency only ever raised, the answer filed where it
// belongs, relayed to a bridged room, and the next question asked.
func (e *Engine) addToCase(ctx context.Context, m Message, person *store.Person, lang string, conv askerConv, id int64, text string) error {
	var raised *store.Case
	err := e.once(ctx, m, func(tx *store.Tx) error {
		if err := e.rememberAsker(tx, m, person, lang); err != nil {
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
		part := e.triage.Assess(text)
		answering := conv.Asking
		informative := answering != "" || part.IsRequest || len(part.Phones) > 0 || len(part.Places) > 0 ||
			len(part.Vulnerable) > 0 || len(part.Durations) > 0
		if !informative {
			// Small talk about a case ("thanks", "when will they come?") is
			// history and goes to the room, but does not grow the plea.
			if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: "message", Note: clip(text, 1000)}); err != nil {
				return fmt.Errorf("record message on case %d: %w", id, err)
			}
			relayed, err := e.relayToRoom(tx, c, m, text)
			if err != nil {
				return err
			}
			reply := tr(lang, "Your request #%d is %s.", id, statusLabel(lang, c.Status))
			if relayed {
				reply = tr(lang, "Passed on to the volunteers of #%d.", id)
			}
			return e.askerSend(tx, m, id, reply, 1)
		}
		before := c.Urgency
		switch {
		case answering == fieldWhere && !part.IsRequest:
			// The exact address goes to its own field, shown only where
			// personal data may be; the plea text stays the plea.
			c.Address = clip(strings.TrimSpace(c.Address+" "+text), 200)
		case answering == fieldPhone && !part.IsRequest:
			// The number lands in Phones below; a non-answer ("不知道") is
			// in the event log and needn't grow the plea.
		default:
			c.Text = joinPlea(c.Text, text, lang)
			if c.Address == "" && len(part.Places) > 0 && len(part.Phones) == 0 && !part.IsRequest {
				c.Address = clip(text, 200)
			}
		}
		c.Assessment = e.triage.Assess(c.Text)
		if c.Category == triage.CatNone || c.Category == triage.CatOther {
			if c.Assessment.Category != triage.CatNone {
				c.Category = c.Assessment.Category
			}
		}
		if c.Assessment.Urgency > c.Urgency {
			c.Urgency = c.Assessment.Urgency // never lowered: a coordinator may have raised it
		}
		c.Phones = mergeStrings(c.Phones, part.Phones)
		c.Updated = m.Time
		if err := tx.PutCase(c); err != nil {
			return fmt.Errorf("save case %d: %w", id, err)
		}
		if err := tx.AppendEvent(&store.Event{Case: id, At: m.Time, Actor: m.Sender, Kind: "asker_info", From: before.String(), To: c.Urgency.String(), Note: clip(text, 1000)}); err != nil {
			return fmt.Errorf("record details on case %d: %w", id, err)
		}
		if c.Urgency > before {
			if err := e.queueAlerts(tx, c); err != nil {
				return err
			}
			raised = c
		}
		if _, err := e.afterChange(tx, c, m.Sender, "asker_info"); err != nil {
			return err
		}
		if _, err := e.relayToRoom(tx, c, m, text); err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(tr(lang, "Thank you, I added that to your request #%d.", id))
		if c.Urgency > before && c.Urgency >= e.opts.AlertAt {
			b.WriteString("\n" + tr(lang, "It is now marked %s and the volunteers have been alerted.", urgencyLabel(lang, c.Urgency)))
		}
		if next := nextField(conv, c); next == "" && answering != "" {
			b.WriteString("\n" + understood(c, lang))
		}
		if err := e.askerSend(tx, m, id, b.String(), 1); err != nil {
			return err
		}
		return e.askNext(tx, m, lang, &conv, c, 2)
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add details to case %d: %w", id, err)
	}
	if raised != nil {
		e.maybeAutoRoom(ctx, raised)
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
	if lang == "zh" && !strings.ContainsRune("。！？!?.，,；;", last) {
		plea += "。"
	}
	return plea + "\n" + more
}

// askNext asks the next missing detail of c, or says that nothing more is
// needed once, and saves the conversation.
func (e *Engine) askNext(tx *store.Tx, m Message, lang string, conv *askerConv, c *store.Case, seq int) error {
	field := nextField(*conv, c)
	wasAsking := conv.Asking
	conv.Asking = field
	if conv.Asked == nil {
		conv.Asked = map[string]int{}
	}
	var text string
	switch field {
	case fieldNeed:
		text = tr(lang, "What exactly do you need? (for example medicine, dialysis, food, a hospital visit)")
	case fieldWhere:
		text = tr(lang, "Where are you? Please tell me the district, street and compound.")
	case fieldPhone:
		text = tr(lang, "What phone number can the volunteers call?")
		if conv.Asked[fieldPhone] > 0 {
			text = tr(lang, "I couldn't find a phone number in that. Please send the number the volunteers can call, for example 13812345678.")
		}
	case fieldWho:
		text = tr(lang, "Who is the help for? Please tell me their age and condition (for example: 78, diabetic, lives alone).")
	default:
		if wasAsking != "" || seq == 3 {
			text = tr(lang, "That is everything the volunteers need for now; they will contact you. You can add details here at any time, send /status to see your requests, or /cancel if you no longer need help.")
		}
	}
	if field != "" {
		conv.Asked[field]++
	}
	conv.Draft = ""
	if err := putConv(tx, m.Sender, *conv); err != nil {
		return err
	}
	if text == "" {
		return nil
	}
	return e.askerSend(tx, m, c.ID, text, seq)
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
	if c.Address == "" && len(c.Assessment.Places) == 0 {
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
	parts := []string{tr(lang, "need: %s (%s)", categoryLabel(lang, c.Category), urgencyLabel(lang, c.Urgency))}
	if len(c.Assessment.Vulnerable) > 0 {
		who := make([]string, len(c.Assessment.Vulnerable))
		for i, v := range c.Assessment.Vulnerable {
			who[i] = vulnerableLabel(lang, v)
		}
		parts = append(parts, tr(lang, "for: %s", strings.Join(who, ", ")))
	}
	if where := placesText(c, unmasked); where != "" {
		parts = append(parts, tr(lang, "where: %s", where))
	}
	if len(c.Phones) > 0 {
		parts = append(parts, tr(lang, "contact: %s", strings.Join(c.Phones, ", ")))
	}
	return tr(lang, "I understood — %s.", strings.Join(parts, tr(lang, "; ")))
}

// askerReply answers a private message that changes no case.
func (e *Engine) askerReply(ctx context.Context, m Message, person *store.Person, lang string, conv *askerConv, text string) error {
	err := e.once(ctx, m, func(tx *store.Tx) error {
		if err := e.rememberAsker(tx, m, person, lang); err != nil {
			return err
		}
		if err := tx.PutPerson(person); err != nil {
			return fmt.Errorf("save person %s: %w", person.Ref, err)
		}
		if conv != nil {
			if err := putConv(tx, m.Sender, *conv); err != nil {
				return err
			}
		}
		return e.askerSend(tx, m, 0, text, 1)
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

// askerSend queues the seq-th reply to message m in its private chat.
func (e *Engine) askerSend(tx *store.Tx, m Message, caseID int64, text string, seq int) error {
	return e.enqueue(tx, "reply", caseID, OutMessage{Chat: m.Chat, Text: text}, fmt.Sprintf("reply:%s:%s:%d", m.Chat, msgKey(m).ID, seq))
}

// rememberAsker records the person's private chat (so notices and room
// relays can reach them) and their language.
func (e *Engine) rememberAsker(tx *store.Tx, m Message, p *store.Person, lang string) error {
	if p.Language == "" {
		p.Language = lang
	}
	if p.Name == "" {
		p.Name = m.SenderName
	}
	p.Updated = e.now()
	cur, err := tx.GetState(dmKey(m.Sender))
	if err != nil {
		return fmt.Errorf("read private chat of %s: %w", m.Sender, err)
	}
	if string(cur) == m.Chat {
		return nil
	}
	if err := tx.PutState(dmKey(m.Sender), []byte(m.Chat)); err != nil {
		return fmt.Errorf("record private chat of %s: %w", m.Sender, err)
	}
	if err := tx.PutState(dmOwnerKey(m.Chat), []byte(m.Sender)); err != nil {
		return fmt.Errorf("record owner of %s: %w", m.Chat, err)
	}
	return nil
}

func loadPerson(tx *store.Tx, m Message) (*store.Person, error) {
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

func putConv(tx *store.Tx, person string, conv askerConv) error {
	raw, err := json.Marshal(conv)
	if err != nil {
		return fmt.Errorf("encode conversation of %s: %w", person, err)
	}
	return tx.PutState(convKey(person), raw)
}

// openList lists open cases for the asker, or says there are none.
func openList(open []*store.Case, lang string) string {
	if len(open) == 0 {
		return tr(lang, "You have no open requests.")
	}
	lines := []string{tr(lang, "Your open requests:")}
	for _, c := range open {
		lines = append(lines, fmt.Sprintf("  #%d %s · %s", c.ID, categoryLabel(lang, c.Category), statusLabel(lang, c.Status)))
	}
	return strings.Join(lines, "\n")
}

// cmdStart welcomes a person in a private chat and explains how to ask.
func cmdStart(cc *cmdCtx) error {
	return cc.reply(tr(cc.lang, "Welcome to Lifeline. I pass requests for help to volunteer teams.\nTell me in your own words what is needed, for whom (age, condition), where (district, street, compound) and a phone number; I will ask for anything missing and give you a case number.\n/status shows your requests · /cancel withdraws one · start a message with #N to add to request N."))
}

// cmdAskerStatus lists the caller's open requests, or shows one of theirs.
func cmdAskerStatus(cc *cmdCtx) error {
	cases, err := cc.tx.CasesByAsker(cc.m.Sender)
	if err != nil {
		return fmt.Errorf("list cases of %s: %w", cc.m.Sender, err)
	}
	if len(cc.args) == 1 {
		id, err := strconv.ParseInt(strings.TrimPrefix(cc.args[0], "#"), 10, 64)
		if err != nil {
			return usageError{tr(cc.lang, "%q is not a case number.", cc.args[0])}
		}
		for _, c := range cases {
			if c.ID == id {
				return cc.reply(tr(cc.lang, "Request #%d: %s", c.ID, statusLabel(cc.lang, c.Status)) + "\n" + cc.e.cardText(c, cc.lang, unmasked))
			}
		}
		return refuse(tr(cc.lang, "I can't find a request #%d of yours.", id))
	}
	var open []*store.Case
	for _, c := range cases {
		if c.Status.Open() {
			open = append(open, c)
		}
	}
	return cc.reply(openList(open, cc.lang))
}

// cmdCancel withdraws one of the caller's open requests.
func cmdCancel(cc *cmdCtx) error {
	cases, err := cc.tx.CasesByAsker(cc.m.Sender)
	if err != nil {
		return fmt.Errorf("list cases of %s: %w", cc.m.Sender, err)
	}
	var open []*store.Case
	for _, c := range cases {
		if c.Status.Open() {
			open = append(open, c)
		}
	}
	var c *store.Case
	switch {
	case len(cc.args) > 0:
		id, err := strconv.ParseInt(strings.TrimPrefix(cc.args[0], "#"), 10, 64)
		if err != nil {
			return usageError{tr(cc.lang, "%q is not a case number.", cc.args[0])}
		}
		for _, o := range open {
			if o.ID == id {
				c = o
			}
		}
		if c == nil {
			return refuse(tr(cc.lang, "You have no open request #%d.", id) + "\n" + openList(open, cc.lang))
		}
	case len(open) == 0:
		return refuse(tr(cc.lang, "You have no open requests."))
	case len(open) > 1:
		return cc.reply(tr(cc.lang, "Which request do you want to withdraw? Send /cancel N.") + "\n" + openList(open, cc.lang))
	default:
		c = open[0]
	}
	from := c.Status
	c.Status, c.CloseReason, c.Finished = store.StatusClosed, "withdrawn", cc.e.now()
	if err := cc.event(c, "status", string(from), string(store.StatusClosed), "withdrawn by the asker"); err != nil {
		return err
	}
	if err := cc.save(c, "status"); err != nil {
		return err
	}
	if err := cc.e.afterFinish(cc, c); err != nil {
		return err
	}
	if len(c.Assignees) > 0 || c.Urgency >= cc.e.opts.AlertAt {
		// Volunteers may be on their way: tell them at once.
		coordination, err := chatsWithRole(cc.tx, store.RoleCoordination)
		if err != nil {
			return err
		}
		for _, ch := range coordination {
			l := cc.e.lang(ch)
			if err := cc.e.enqueue(cc.tx, "notice", c.ID, OutMessage{Chat: ch.Ref, Text: tr(l, "Case #%d was withdrawn by the asker.", c.ID)}, ""); err != nil {
				return err
			}
		}
	}
	return cc.reply(tr(cc.lang, "✓ Your request #%d is withdrawn. If you need help again, just write to me.", c.ID))
}

// notifyAsker tells the asker about a change that matters to them: their
// case verified, taken, resolved, closed or reopened. Nothing is masked:
// it goes only to the asker's own private chat.
func (e *Engine) notifyAsker(tx *store.Tx, c *store.Case, what string) error {
	if what == "claim" || what == "assign" {
		// The same moment matters to the case's room: let the new holder in.
		if err := e.roomMemberAdded(tx, c); err != nil {
			return err
		}
	}
	if c.Asker == "" {
		return nil
	}
	chat, err := tx.GetState(dmKey(c.Asker))
	if err != nil || chat == nil {
		return err
	}
	lang := c.Language
	if p, err := tx.Person(c.Asker); err == nil && p.Language != "" {
		lang = p.Language
	}
	if lang == "" {
		lang = e.opts.Language
	}
	var text string
	switch what {
	case "claim", "assign":
		if len(c.Assignees) == 1 { // the first volunteer only: later helpers are internal
			text = tr(lang, "A volunteer has taken your request #%d and will contact you.", c.ID)
		}
	case "reopen":
		text = tr(lang, "Your request #%d was reopened; the volunteers will look at it again.", c.ID)
	case "status":
		switch c.Status {
		case store.StatusVerified:
			text = tr(lang, "Your request #%d has been verified by the volunteers.", c.ID)
		case store.StatusInProgress:
			text = tr(lang, "Volunteers are now working on your request #%d.", c.ID)
		case store.StatusResolved:
			text = tr(lang, "Your request #%d is marked resolved. If you still need help, just write to me.", c.ID)
		case store.StatusClosed:
			switch {
			case c.MergedInto != 0:
				text = tr(lang, "Your request #%d is the same as request #%d; the volunteers follow it there.", c.ID, c.MergedInto)
			case c.CloseReason == "withdrawn":
				// The asker withdrew it themself and got a confirmation.
			default:
				text = tr(lang, "Your request #%d was closed (%s). If you still need help, just write to me.", c.ID, tr(lang, c.CloseReason))
			}
		}
	}
	if text == "" {
		return nil
	}
	return e.enqueue(tx, "notice", c.ID, OutMessage{Chat: string(chat), Text: text}, "")
}

// zhAskerText holds the Chinese replies of the asker conversation, rescue
// rooms and broadcasts.
var zhAskerText = map[string]string{
	// Asker conversation.
	"Hello! I am Lifeline, a bot that passes requests for help to volunteer teams. If you or someone near you needs help, tell me in your own words what is needed, for whom, where, and a phone number. Send /status to see your requests.": "您好！我是 Lifeline 互助机器人，负责把求助转给志愿者团队。如果您或身边的人需要帮助，请直接告诉我：需要什么、给谁（年龄、病情）、在哪里、联系电话。发送 /status 查看您的求助。",
	"OK: your next messages are added to request #%d.":                                                                                "好的，接下来的消息会补充到求助 #%d。",
	"Thank you, I noted that. What do you need help with?":                                                                            "谢谢，已记下。请问您需要什么帮助？",
	"This sounds urgent: I have alerted the volunteers right away. If a life is in danger, also call the emergency number (120) now.": "情况紧急，我已立即通知志愿者。如有生命危险，请同时马上拨打 120。",
	"I have alerted the volunteers.":                                                                                                  "已通知志愿者。",
	"This matches request #%d, which is already registered; I added your message to it.":                                              "这条和已登记的求助 #%d 是同一件事，已把您的消息补充进去。",
	"Your request is registered as #%d.":                                                                                              "您的求助已登记，编号 #%d。",
	"I understood — %s.":                                                                                                              "我理解的是——%s。",
	"; ":                                                                                                                              "；",
	"need: %s (%s)":                                                                                                                   "需要：%s（%s）",
	"for: %s":                                                                                                                         "对象：%s",
	"where: %s":                                                                                                                       "地点：%s",
	"contact: %s":                                                                                                                     "电话：%s",
	"About your data: the volunteers in the team's coordination group see your phone number and address so they can help you. If your request is shared in public groups, the phone number and house number are hidden. Your phone, address and messages are deleted %d days after your case is finished.": "关于您的信息：为了帮助您，志愿者协调群里的志愿者能看到您的电话和地址；求助转发到公开群时，电话和门牌号会被隐藏。结案 %d 天后，您的电话、地址和留言会被删除。",
	"What exactly do you need? (for example medicine, dialysis, food, a hospital visit)":                                                                                                     "请问具体需要什么？（例如：药品、透析、食物、就医）",
	"Where are you? Please tell me the district, street and compound.":                                                                                                                       "请问在哪里？请告诉我区、街道和小区。",
	"What phone number can the volunteers call?":                                                                                                                                             "志愿者可以打哪个电话联系您？",
	"I couldn't find a phone number in that. Please send the number the volunteers can call, for example 13812345678.":                                                                       "没有看到电话号码。请发一个志愿者能打通的号码，例如 13812345678。",
	"Who is the help for? Please tell me their age and condition (for example: 78, diabetic, lives alone).":                                                                                  "请问是给谁的？请告诉我年龄和身体情况（例如：78岁，糖尿病，独居）。",
	"That is everything the volunteers need for now; they will contact you. You can add details here at any time, send /status to see your requests, or /cancel if you no longer need help.": "信息已经齐了，志愿者会联系您。您可以随时在这里补充情况，发送 /status 查看求助进展，不再需要帮助时发送 /cancel。",
	"Thank you, I added that to your request #%d.":                                                                                                                                           "谢谢，已补充到您的求助 #%d。",
	"It is now marked %s and the volunteers have been alerted.":                                                                                                                              "现已标记为 %s，并已通知志愿者。",
	"Your request #%d is %s.":              "您的求助 #%d：%s。",
	"Passed on to the volunteers of #%d.":  "已转给负责 #%d 的志愿者。",
	"I can't find a request #%d of yours.": "没有找到您的求助 #%d。",
	"Your request #%d is already %s. If you need help again, just tell me what you need.": "您的求助 #%d 已经%s。如果还需要帮助，请直接告诉我需要什么。",
	"You have no open requests.":                             "您目前没有进行中的求助。",
	"Your open requests:":                                    "您进行中的求助：",
	"Request #%d: %s":                                        "求助 #%d：%s",
	"You have no open request #%d.":                          "您没有进行中的求助 #%d。",
	"Which request do you want to withdraw? Send /cancel N.": "要撤回哪一条求助？请发送 /cancel 编号。",
	"Case #%d was withdrawn by the asker.":                   "求助 #%d 已被求助人撤回。",
	"✓ Your request #%d is withdrawn. If you need help again, just write to me.": "✓ 您的求助 #%d 已撤回。如果还需要帮助，随时发消息给我。",
	"Welcome to Lifeline. I pass requests for help to volunteer teams.\nTell me in your own words what is needed, for whom (age, condition), where (district, street, compound) and a phone number; I will ask for anything missing and give you a case number.\n/status shows your requests · /cancel withdraws one · start a message with #N to add to request N.": "欢迎使用 Lifeline 互助机器人，我负责把求助转给志愿者团队。\n请直接告诉我：需要什么、给谁（年龄、病情）、在哪里（区、街道、小区）、联系电话；缺什么我会问您，并给您一个求助编号。\n/status 查看求助 · /cancel 撤回求助 · 消息以 #编号 开头可补充指定求助。",
	"A volunteer has taken your request #%d and will contact you.":                   "已有志愿者接手您的求助 #%d，会尽快联系您。",
	"Your request #%d was reopened; the volunteers will look at it again.":           "您的求助 #%d 已重新打开，志愿者会再次跟进。",
	"Your request #%d has been verified by the volunteers.":                          "您的求助 #%d 已经志愿者核实。",
	"Volunteers are now working on your request #%d.":                                "志愿者正在处理您的求助 #%d。",
	"Your request #%d is marked resolved. If you still need help, just write to me.": "您的求助 #%d 已标记为解决。如果仍需帮助，请随时发消息给我。",
	"Your request #%d is the same as request #%d; the volunteers follow it there.":   "您的求助 #%d 与求助 #%d 是同一件事，志愿者会在 #%[2]d 中跟进。",
	"Your request #%d was closed (%s). If you still need help, just write to me.":    "您的求助 #%d 已关闭（%s）。如果仍需帮助，请随时发消息给我。",
	"duplicate":   "重复",
	"unreachable": "联系不上",
	"invalid":     "无效",
	"withdrawn":   "已撤回",
	"referred":    "已转介",

	"To help, the volunteers still need: %s.": "为了帮助您，志愿者还需要知道：%s。",
	", ":          "、",
	"field:need":  "具体需要什么",
	"field:where": "地点（区、街道、小区）",
	"field:phone": "联系电话",
	"field:who":   "帮助对象（年龄、身体情况）",

	// Rescue rooms.
	"platform %s is not enabled":                          "平台 %s 未启用",
	"%s can't open rooms":                                 "%s 不能开救援群",
	"You are invited to the rescue room for case #%d: %s": "邀请您加入求助 #%d 的救援群：%s",
	"Room for case #%d — a separate room could not be opened (%s). This chat is its room: discuss it here and record what matters with /note %d …": "求助 #%d 的救援群——无法单独开群（%s）。就在本群讨论，重要情况请用 /note %d … 记录。",
	"Rescue room for case #%d. Messages here are added to the case; the asker is not in this room, so I pass messages between them and this room.": "求助 #%d 的救援群。这里的消息会记入求助记录；求助人不在本群，我会在求助人和本群之间转达消息。",
	"Rescue room for case #%d. Messages here are added to the case.":                                                                               "求助 #%d 的救援群。这里的消息会记入求助记录。",
	"Volunteers opened a room for your request #%d. Write to me here and I will pass your messages on to them.":                                    "志愿者已为您的求助 #%d 开了救援群。请继续在这里给我发消息，我会转达给他们。",
	"Case #%d: no separate room (%s); this chat is its room.":                                                                                      "求助 #%d：无法单独开群（%s），本群即为救援群。",
	"✓ Room opened for case #%d: %s":                                        "✓ 已为求助 #%d 开救援群：%s",
	"There is no coordination chat to open a room from.":                    "没有志愿者协调群，无法开救援群。",
	"Still no separate room for case #%d (%s); this chat remains its room.": "求助 #%d 仍无法单独开群（%s），继续以本群为救援群。",
	"Case #%d already has a room: %s":                                       "求助 #%d 已有救援群：%s",
	"(opened automatically for an urgent case)":                             "（紧急求助，自动开群）",
	"💬 Volunteer %s (request #%d): %s":                                      "💬 志愿者 %s（求助 #%d）：%s",
	"💬 Asker (#%d): %s":                                                     "💬 求助人（#%d）：%s",
	"Case #%d is %s. This room is closed — thank you, everyone.":            "求助 #%d %s。本救援群关闭，谢谢大家！",
	"event:room_closed":                                                     "关闭救援群",

	// Broadcast.
	"Case #%d is %s; only open cases are broadcast.":                                                   "求助 #%d %s，只能推送进行中的求助。",
	"There are no broadcast chats yet. An admin can add one by sending /bind broadcast in that group.": "还没有推送群。管理员可在要推送的群里发送 /bind broadcast 添加。",
	"✓ Case #%d broadcast to %d chats.":                                                                "✓ 求助 #%d 已推送到 %d 个群。",
	"Needed: %s":                                                                                       "求助内容：%s",
	"How to help: if you can help, contact the volunteers' group and quote #%d. Please share.":         "如何帮忙：能帮忙的请联系志愿者协调群，并注明 #%d。请帮忙转发。",
	"✅ Case #%d (%s) is resolved. Thank you to everyone who shared and helped!":                        "✅ 求助 #%d（%s）已解决。感谢所有转发和帮忙的朋友！",
}
