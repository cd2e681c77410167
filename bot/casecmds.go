package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// closeReasons are the reasons a case may be closed for.
var closeReasons = []string{"duplicate", "unreachable", "invalid", "withdrawn", "referred"}

// canMove says whether a case may go from one status to another by
// /status. Terminal states leave only through /reopen.
func canMove(from, to store.Status) bool {
	if from == to || !from.Open() {
		return false
	}
	switch to {
	case store.StatusNew:
		return false
	case store.StatusVerifying, store.StatusVerified, store.StatusInProgress, store.StatusResolved, store.StatusClosed:
		return true
	}
	return false
}

func parseStatus(s string) (store.Status, bool) {
	s = strings.ToLower(strings.ReplaceAll(s, "-", "_"))
	for _, st := range []store.Status{store.StatusNew, store.StatusVerifying, store.StatusVerified, store.StatusInProgress, store.StatusResolved, store.StatusClosed} {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// move changes the status of c and records it.
func (cc *cmdCtx) move(c *store.Case, to store.Status, note string) error {
	from := c.Status
	if from == to {
		return refuse(tr(cc.lang, "Case #%d is already %s.", c.ID, statusLabel(cc.lang, to)))
	}
	if !canMove(from, to) {
		return refuse(tr(cc.lang, "Case #%d is %s; it can't become %s. Use /reopen %d first.", c.ID, statusLabel(cc.lang, from), statusLabel(cc.lang, to), c.ID))
	}
	c.Status = to
	if !to.Open() {
		c.Finished = cc.e.now()
	}
	if err := cc.event(c, "status", string(from), string(to), note); err != nil {
		return err
	}
	return cc.save(c, "status")
}

func cmdClaim(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	if !c.Status.Open() {
		return refuse(tr(cc.lang, "Case #%d is %s.", c.ID, statusLabel(cc.lang, c.Status)))
	}
	if slices.Contains(c.Assignees, cc.m.Sender) {
		return refuse(tr(cc.lang, "You already hold case #%d.", c.ID))
	}
	c.Assignees = append(c.Assignees, cc.m.Sender)
	if err := cc.event(c, "claim", "", cc.m.Sender, ""); err != nil {
		return err
	}
	if c.Status == store.StatusNew {
		// Whoever takes a new case starts by calling the asker.
		if err := cc.event(c, "status", string(c.Status), string(store.StatusVerifying), ""); err != nil {
			return err
		}
		c.Status = store.StatusVerifying
	}
	if err := cc.save(c, "claim"); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d is yours, %s. Call the asker, then /verify %d.", c.ID, displayName(cc.caller), c.ID))
}

func cmdAssign(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	who := cc.args[len(cc.args)-1]
	if !strings.HasPrefix(who, "@") && !strings.Contains(who, ":") {
		return usageError{}
	}
	p, err := cc.personArg(who)
	if err != nil {
		return err
	}
	if slices.Contains(c.Assignees, p.Ref) {
		return refuse(tr(cc.lang, "%s already holds case #%d.", displayName(p), c.ID))
	}
	c.Assignees = append(c.Assignees, p.Ref)
	if err := cc.event(c, "assign", "", p.Ref, ""); err != nil {
		return err
	}
	if err := cc.save(c, "assign"); err != nil {
		return err
	}
	if err := cc.e.tellPerson(cc.tx, p.Ref, c.ID, tr(langOf(p, cc.lang), "You were assigned case #%d by %s. Send /case %d in the volunteers' chat for details.", c.ID, displayName(cc.caller), c.ID)); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d assigned to %s.", c.ID, displayName(p)))
}

func cmdVerify(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	note := cc.noteAfterCase()
	if err := cc.move(c, store.StatusVerified, note); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d verified.", c.ID))
}

func cmdStatus(cc *cmdCtx) error {
	if cc.m.Private && len(cc.args) < 2 {
		return cmdAskerStatus(cc)
	}
	if cc.level < coordinator {
		return refuse(tr(cc.lang, "Sorry, /%s needs the %s role. An admin can grant it with /grant.", "status", tr(cc.lang, "role:coordinator")))
	}
	if len(cc.args) < 2 {
		return usageError{}
	}
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	to, ok := parseStatus(cc.args[1])
	if !ok {
		return usageError{tr(cc.lang, "%q is not a status.", cc.args[1])}
	}
	if to == store.StatusClosed {
		return refuse(tr(cc.lang, "Use /close %d <reason> to close a case.", c.ID))
	}
	if err := cc.move(c, to, cc.textAfter(2)); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d is now %s.", c.ID, statusLabel(cc.lang, to)))
}

func cmdNote(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	note := cc.noteAfterCase()
	if note == "" {
		return usageError{}
	}
	if err := cc.event(c, "note", "", "", note); err != nil {
		return err
	}
	if err := cc.save(c, "note"); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Note added to case #%d.", c.ID))
}

// noteAfterCase is the free text after the case number (or all the text
// inside a room when the number was left out).
func (cc *cmdCtx) noteAfterCase() string {
	if cc.hasCaseNumber() {
		return cc.textAfter(1)
	}
	return cc.rest
}

func cmdUrgency(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	if len(cc.args) < 2 {
		return usageError{}
	}
	u, err := triage.ParseUrgency(cc.args[1])
	if err != nil || u == triage.None {
		return usageError{tr(cc.lang, "%q is not an urgency (critical, high, normal).", cc.args[1])}
	}
	if u == c.Urgency {
		return refuse(tr(cc.lang, "Case #%d is already %s.", c.ID, urgencyLabel(cc.lang, u)))
	}
	from := c.Urgency
	c.Urgency = u
	if err := cc.event(c, "urgency", from.String(), u.String(), cc.textAfter(2)); err != nil {
		return err
	}
	if err := cc.save(c, "urgency"); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d urgency %s → %s.", c.ID, urgencyLabel(cc.lang, from), urgencyLabel(cc.lang, u)))
}

func cmdResolve(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	if cc.level < coordinator && !slices.Contains(c.Assignees, cc.m.Sender) {
		return refuse(tr(cc.lang, "Only a coordinator or someone holding case #%d can resolve it.", c.ID))
	}
	if err := cc.move(c, store.StatusResolved, cc.noteAfterCase()); err != nil {
		return err
	}
	if err := cc.e.afterFinish(cc, c); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d resolved. Thank you!", c.ID))
}

func cmdClose(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	reasonAt := 1
	if !cc.hasCaseNumber() {
		reasonAt = 0
	}
	if len(cc.args) <= reasonAt {
		return usageError{}
	}
	reason := strings.ToLower(cc.args[reasonAt])
	if !slices.Contains(closeReasons, reason) {
		return usageError{tr(cc.lang, "%q is not a close reason (%s).", reason, strings.Join(closeReasons, ", "))}
	}
	c.CloseReason = reason
	if err := cc.move(c, store.StatusClosed, strings.TrimSpace(reason+" "+cc.textAfter(reasonAt+1))); err != nil {
		return err
	}
	if err := cc.e.afterFinish(cc, c); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d closed (%s).", c.ID, reason))
}

func cmdReopen(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	if c.Status.Open() {
		return refuse(tr(cc.lang, "Case #%d is still open (%s).", c.ID, statusLabel(cc.lang, c.Status)))
	}
	from := c.Status
	c.Status, c.CloseReason, c.Finished, c.MergedInto = store.StatusVerifying, "", time.Time{}, 0
	if err := cc.event(c, "status", string(from), string(c.Status), "reopen "+cc.textAfter(1)); err != nil {
		return err
	}
	if err := cc.save(c, "reopen"); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d reopened; it is verifying again.", c.ID))
}

func cmdMerge(cc *cmdCtx) error {
	dup, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	into, err := cc.caseArg(1)
	if err != nil {
		return err
	}
	if dup.ID == into.ID {
		return usageError{tr(cc.lang, "A case can't be merged into itself.")}
	}
	if !into.Status.Open() {
		return refuse(tr(cc.lang, "Case #%d is %s; merge into an open case.", into.ID, statusLabel(cc.lang, into.Status)))
	}
	if !dup.Status.Open() {
		return refuse(tr(cc.lang, "Case #%d is %s.", dup.ID, statusLabel(cc.lang, dup.Status)))
	}
	if _, err := cc.tx.MergeSources(dup.ID, into.ID); err != nil {
		return err
	}
	into.Phones = mergeStrings(into.Phones, dup.Phones)
	into.Assignees = mergeStrings(into.Assignees, dup.Assignees)
	if dup.Urgency > into.Urgency {
		into.Urgency = dup.Urgency
	}
	if err := cc.event(into, "merged", fmt.Sprint(dup.ID), fmt.Sprint(into.ID), ""); err != nil {
		return err
	}
	if err := cc.save(into, "merge"); err != nil {
		return err
	}
	dup.MergedInto, dup.CloseReason = into.ID, "duplicate"
	if err := cc.move(dup, store.StatusClosed, fmt.Sprintf("duplicate of #%d", into.ID)); err != nil {
		return err
	}
	return cc.reply(tr(cc.lang, "✓ Case #%d merged into #%d.", dup.ID, into.ID))
}

func cmdCase(cc *cmdCtx) error {
	c, err := cc.caseArg(0)
	if err != nil {
		return err
	}
	if c.MergedInto != 0 {
		if err := cc.reply(tr(cc.lang, "Case #%d was merged into #%d.", c.ID, c.MergedInto)); err != nil {
			return err
		}
	}
	text := cc.e.cardText(c, cc.lang, cc.privacyHere(c))
	events, err := cc.tx.Events(c.ID)
	if err != nil {
		return fmt.Errorf("read events of case %d: %w", c.ID, err)
	}
	if len(events) > 0 {
		text += "\n" + tr(cc.lang, "History:")
		for _, ev := range events[max(0, len(events)-8):] {
			text += "\n  " + eventLine(ev, cc.lang, cc.e.loc, cc.privacyHere(c))
		}
	}
	cc.replies++
	out := OutMessage{Chat: cc.m.Chat, Thread: cc.m.Thread, Text: text, Buttons: cardButtons(c, cc.lang)}
	return cc.e.enqueue(cc.tx, "reply", c.ID, out, fmt.Sprintf("reply:%s:%s:%d", cc.m.Chat, msgKey(cc.m).ID, cc.replies))
}

func eventLine(ev store.Event, lang string, loc *time.Location, p privacy) string {
	s := ev.At.In(loc).Format("01-02 15:04") + " " + "@" + LocalID(ev.Actor) + " " + tr(lang, "event:"+ev.Kind)
	if ev.From != "" || ev.To != "" {
		s += " " + strings.TrimSpace(ev.From+" → "+LocalID(ev.To))
	}
	if ev.Note != "" {
		note := ev.Note
		if p == masked {
			note = triage.MaskText(note)
		}
		s += ": " + clip(note, 120)
	}
	return s
}

// cmdCases lists open cases, most urgent and oldest first, with filters:
// an urgency, a status, a category, "mine", "stale", or any other word as a
// district.
func cmdCases(cc *cmdCtx) error {
	var (
		urg      []triage.Urgency
		statuses []store.Status
		cats     []triage.Category
		places   []string
		mine     bool
		stale    bool
	)
	for _, a := range cc.args {
		la := strings.ToLower(a)
		if u, err := triage.ParseUrgency(la); err == nil {
			urg = append(urg, u)
		} else if st, ok := parseStatus(la); ok {
			statuses = append(statuses, st)
		} else if cat, ok := parseCategory(la); ok {
			cats = append(cats, cat)
		} else if la == "mine" {
			mine = true
		} else if la == "stale" {
			stale = true
		} else {
			places = append(places, a)
		}
	}
	staleBefore := cc.e.now().Add(-cc.e.opts.Workflow.StaleAfter)
	keep := func(c *store.Case) bool {
		if len(urg) > 0 && !slices.Contains(urg, c.Urgency) {
			return false
		}
		if len(statuses) > 0 && !slices.Contains(statuses, c.Status) {
			return false
		}
		if len(cats) > 0 && !slices.Contains(cats, c.Category) {
			return false
		}
		if mine && !slices.Contains(c.Assignees, cc.m.Sender) {
			return false
		}
		if stale && !c.Updated.Before(staleBefore) {
			return false
		}
		for _, p := range places {
			if !strings.Contains(strings.Join(c.Assessment.Places, " ")+" "+c.Address+" "+c.Text, p) {
				return false
			}
		}
		return true
	}
	const page = 20
	cases, err := cc.tx.OpenCases(page+1, keep)
	if err != nil {
		return fmt.Errorf("list open cases: %w", err)
	}
	if len(cases) == 0 {
		return cc.reply(tr(cc.lang, "No open cases match."))
	}
	lines := []string{tr(cc.lang, "Open cases (most urgent first):")}
	for i, c := range cases {
		if i == page {
			lines = append(lines, tr(cc.lang, "… more; narrow with a filter: /cases critical, /cases dialysis, /cases mine, /cases stale"))
			break
		}
		lines = append(lines, caseLine(c, cc.lang, cc.privacyHere(nil)))
	}
	return cc.reply(strings.Join(lines, "\n"))
}

func parseCategory(s string) (triage.Category, bool) {
	for _, c := range allCategories {
		if string(c) == s || strings.HasPrefix(string(c), s+"_") {
			return c, true
		}
	}
	return "", false
}

var allCategories = []triage.Category{
	triage.CatMedicalEmergency, triage.CatDialysis, triage.CatCancer, triage.CatChronicMedicine,
	triage.CatMaternalInfant, triage.CatMentalHealth, triage.CatElderlyAlone, triage.CatFoodSupplies,
	triage.CatPet, triage.CatTransport, triage.CatInformation, triage.CatRescue, triage.CatOther,
}

// afterChange refreshes the alert cards of c in place (where the platform
// keeps them) and tells the asker about changes that matter to them. It
// returns the "chat/message" ids of the cards it edited.
func (e *Engine) afterChange(tx *store.Tx, c *store.Case, actor, what string) (map[string]bool, error) {
	coordination, err := chatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return nil, err
	}
	edited := map[string]bool{}
	for _, ch := range coordination {
		id, err := tx.GetState(cardKey(c.ID, ch.Ref))
		if err != nil {
			return nil, err
		}
		if id == nil || !e.canEdit(ch.Ref) {
			continue
		}
		lang := e.lang(ch)
		text := e.cardText(c, lang, unmasked) + "\n" + tr(lang, "Last: %s by @%s", tr(lang, "event:"+what), LocalID(actor))
		out := OutMessage{Chat: ch.Ref, Text: text, Buttons: cardButtons(c, lang), EditOf: string(id)}
		if err := e.enqueue(tx, "edit", c.ID, out, ""); err != nil {
			return nil, err
		}
		edited[ch.Ref+"/"+string(id)] = true
	}
	return edited, e.notifyAsker(tx, c, what)
}

// canEdit says whether the platform of chat can edit sent messages.
func (e *Engine) canEdit(chat string) bool {
	p, ok := e.platform(PlatformOf(chat))
	return ok && !p.Limits().NoEdits
}

// tellPerson sends a private message to a person if the bot has a private
// chat with them; otherwise it does nothing (bots can't start chats).
func (e *Engine) tellPerson(tx *store.Tx, person string, caseID int64, text string) error {
	chat, err := tx.GetState(dmKey(person))
	if err != nil || chat == nil {
		return err
	}
	return e.enqueue(tx, "notice", caseID, OutMessage{Chat: string(chat), Text: text}, "")
}

func dmKey(person string) string    { return "dm:" + person }
func dmOwnerKey(chat string) string { return "dmowner:" + chat }
func langOf(p *store.Person, def string) string {
	if p != nil && p.Language != "" {
		return p.Language
	}
	return def
}

func displayName(p *store.Person) string {
	if p == nil {
		return ""
	}
	if p.Name != "" {
		return p.Name
	}
	return "@" + LocalID(p.Ref)
}
