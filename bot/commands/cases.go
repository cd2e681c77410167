package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

func cmdClaim(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	claim := cl.c.actions.Claim
	if n := len(cl.args); n > 0 && isAlso(cl.args[n-1]) {
		claim = cl.c.actions.ClaimAlso
	}
	c, err := claim(cl.tx, cl.actor, id)
	if err != nil {
		return err
	}
	if len(c.Assignees) > 1 {
		return cl.reply(i18n.T(cl.lang, "✓ You hold case #%d with %s now, %s.", c.ID, strings.Join(cl.c.cards.People(c.Assignees[:len(c.Assignees)-1]), ", "), cl.actor.Display()))
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d is yours, %s. Call the asker, then /verify %d.", c.ID, cl.actor.Display(), c.ID))
}

func cmdAssign(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	words := cl.args
	if cl.hasCaseNumber() {
		words = words[1:]
	}
	assign := cl.c.actions.Assign
	if n := len(words); n > 0 && (strings.EqualFold(words[n-1], "anyway") || strings.EqualFold(words[n-1], "force")) {
		assign, words = cl.c.actions.AssignAnyway, words[:n-1]
	}
	who, err := cl.named(words)
	if err != nil {
		return err
	}
	res, err := assign(cl.tx, cl.actor, id, who)
	if err != nil {
		return err
	}
	if !res.Told {
		return cl.reply(i18n.T(cl.lang, "✓ Case #%d assigned to %s. I could not tell them privately (they have not written to me yet): please let them know.", res.Case.ID, access.Named(res.Person)))
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d assigned to %s; I told them privately.", res.Case.ID, access.Named(res.Person)))
}

func cmdVerify(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	c, err := cl.c.actions.Verify(cl.tx, cl.actor, id, cl.textAfterCase())
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d verified.", c.ID))
}

// cmdStatus is two commands: in a private chat, without a new state, the
// asker's own requests; otherwise a coordinator's status change.
func cmdStatus(cl *call) error {
	if cl.m.Private && len(cl.args) < 2 {
		return cmdAskerStatus(cl)
	}
	if why := actions.StatusRule.Check(cl.actor); why != "" {
		// Refused before the arguments are read, like every command.
		return refuse(why)
	}
	if len(cl.args) < 2 {
		return usageError{}
	}
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	to, ok := actions.ParseStatus(cl.args[1])
	if !ok {
		return usageError{i18n.T(cl.lang, "%q is not a status.", cl.args[1])}
	}
	c, err := cl.c.actions.SetStatus(cl.tx, cl.actor, id, to, cl.textAfter(2))
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d is now %s.", c.ID, i18n.Status(cl.lang, to)))
}

func cmdNote(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	note := cl.textAfterCase()
	if note == "" {
		return usageError{}
	}
	c, err := cl.c.actions.Note(cl.tx, cl.actor, id, note)
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Note added to case #%d.", c.ID))
}

func cmdUrgency(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	u, err := triage.ParseUrgency(cl.args[1])
	if err != nil || u == triage.None {
		return usageError{i18n.T(cl.lang, "%q is not an urgency (critical, high, normal).", cl.args[1])}
	}
	res, err := cl.c.actions.SetUrgency(cl.tx, cl.actor, id, u, cl.textAfter(2))
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d urgency %s → %s.", res.Case.ID, i18n.Urgency(cl.lang, res.From), i18n.Urgency(cl.lang, res.To)))
}

func cmdResolve(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	c, err := cl.c.actions.Resolve(cl.tx, cl.actor, id, cl.textAfterCase())
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d resolved. Thank you!", c.ID))
}

func cmdClose(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	reasonAt := 1
	if !cl.hasCaseNumber() {
		reasonAt = 0
	}
	if len(cl.args) <= reasonAt {
		return usageError{}
	}
	c, err := cl.c.actions.Close(cl.tx, cl.actor, id, cl.args[reasonAt], cl.textAfter(reasonAt+1))
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d closed (%s).", c.ID, c.CloseReason))
}

func cmdReopen(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	c, err := cl.c.actions.Reopen(cl.tx, cl.actor, id, cl.textAfter(1))
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d reopened; it is verifying again.", c.ID))
}

func cmdMerge(cl *call) error {
	dup, err := cl.caseID(0)
	if err != nil {
		return err
	}
	into, err := cl.caseID(1)
	if err != nil {
		return err
	}
	res, err := cl.c.actions.Merge(cl.tx, cl.actor, dup, into)
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d merged into #%d.", res.Dup.ID, res.Into.ID))
}

func cmdBroadcast(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	// "/broadcast N [confirm] [reason…]": confirm pushes an unverified
	// case, the reason is what a scam-flagged case needs.
	var req actions.BroadcastRequest
	rest := cl.textAfterCase()
	if word, after, _ := strings.Cut(rest, " "); strings.EqualFold(word, "confirm") || word == "确认" {
		req.Confirm, rest = true, after
	}
	req.Reason = strings.TrimSpace(rest)
	res, err := cl.c.actions.BroadcastWith(cl.tx, cl.actor, id, req)
	if err != nil {
		return err
	}
	if res.Already > 0 {
		return cl.reply(i18n.T(cl.lang, "✓ Case #%d broadcast to %d more chats (it was already in %d).", res.Case.ID, res.Chats, res.Already))
	}
	return cl.reply(i18n.T(cl.lang, "✓ Case #%d broadcast to %d chats.", res.Case.ID, res.Chats))
}

// roomOutside asks the platform for a room before the command's
// transaction, because a platform call must never run inside one.
func roomOutside(ctx context.Context, cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	plan, err := cl.c.actions.PrepareRoom(ctx, cl.actor, id)
	if err != nil {
		return err
	}
	cl.scratch = plan
	return nil
}

// cmdRoom records the room roomOutside opened.
func cmdRoom(cl *call) error {
	plan, _ := cl.scratch.(*actions.RoomPlan)
	if plan == nil {
		return fmt.Errorf("room for %q: not prepared", cl.m.Text)
	}
	res, err := cl.c.actions.OpenRoom(cl.tx, cl.actor, plan)
	if err != nil {
		return err
	}
	id := res.Case.ID
	switch {
	case res.StillFallback:
		return cl.reply(i18n.T(cl.lang, "Still no separate room for case #%d (%s); this chat remains its room.", id, res.Why))
	case res.Existing:
		return cl.reply(i18n.T(cl.lang, "Case #%d already has a room: %s", id, res.Name))
	}
	return cl.reply(rooms.OpenedText(cl.lang, id, res.Room.Fallback, res.Name, res.Why))
}

// cmdCase shows a case's card and recent history, with its buttons.
func cmdCase(cl *call) error {
	id, err := cl.caseID(0)
	if err != nil {
		return err
	}
	c, err := cl.tx.Case(id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return refuse(i18n.T(cl.lang, "There is no case #%d.", id))
		}
		return fmt.Errorf("read case %d: %w", id, err)
	}
	if c.MergedInto != 0 {
		if err := cl.reply(i18n.T(cl.lang, "Case #%d was merged into #%d.", c.ID, c.MergedInto)); err != nil {
			return err
		}
	}
	page, err := cl.sourcePage()
	if err != nil {
		return err
	}
	p := cl.privacy(c)
	text := cl.c.cards.Card(c, cl.lang, p)
	msgs, err := cl.sourcesText(c, page, p)
	if err != nil {
		return err
	}
	if page > 1 {
		// A later page is the messages alone: the card was on page 1.
		return cl.reply(msgs)
	}
	if msgs != "" {
		text += "\n" + msgs
	}
	events, err := cl.tx.Events(c.ID)
	if err != nil {
		return fmt.Errorf("read events of case %d: %w", c.ID, err)
	}
	if len(events) > 0 {
		text += "\n" + i18n.T(cl.lang, "History:")
		for _, ev := range events[max(0, len(events)-8):] {
			text += "\n  " + cl.c.cards.EventLine(ev, cl.lang, p)
		}
	}
	return cl.send(platform.OutMessage{Chat: cl.m.Chat, Thread: cl.m.Thread, Text: text, Buttons: cards.Buttons(c, cl.lang)}, c.ID)
}

// casesText lists cases: open ones most urgent and oldest first, with
// filters (an urgency, a status, a category, "mine", "stale", a place),
// or finished ones newest first ("resolved", "closed", "all" with a
// period), a page at a time.
func casesText(tx *store.Tx, cl *call) (string, error) {
	cl.tx = tx // the read-only transaction readOutside opened
	defer func() { cl.tx = nil }()
	f, err := parseCaseFilter(cl.lang, cl.args, func(word string) bool { return cl.mentioned(word) })
	if err != nil {
		return "", err
	}
	now, staleAfter := cl.c.env.Now(), cl.c.reports.StaleAfter()
	keep := func(c *store.Case) bool {
		if len(f.urgencies) > 0 && !slices.Contains(f.urgencies, c.Urgency) {
			return false
		}
		if len(f.statuses) > 0 && !slices.Contains(f.statuses, c.Status) {
			return false
		}
		if len(f.cats) > 0 && !slices.Contains(f.cats, c.Category) {
			return false
		}
		if f.mine && !slices.Contains(c.Assignees, cl.m.Sender) {
			return false
		}
		if f.stale && !c.Stale(now, staleAfter) {
			return false
		}
		for _, p := range f.places {
			if !mentions(c, p) {
				return false
			}
		}
		return true
	}
	q := store.CaseQuery{Order: store.ByUrgency, Keep: keep}
	title := i18n.T(cl.lang, "Open cases (most urgent first):")
	if f.finished || f.every {
		period := f.period
		if period == "" {
			period = "all"
		}
		p, ok := cl.c.reports.ParsePeriod(cl.lang, period)
		if !ok {
			return "", usageError{i18n.T(cl.lang, "%q is not a period (today, 24h, 7d, all).", period)}
		}
		q = store.CaseQuery{Order: store.ByFinished, Since: p.Since, Reverse: true, Keep: keep}
		title = i18n.T(cl.lang, "Finished cases, %s (newest first):", p.Label)
		if f.every {
			q.Order = store.ByCreated
			title = i18n.T(cl.lang, "All cases, %s (newest first):", p.Label)
		}
	}
	const page = 20
	skip := (f.page - 1) * page
	var cases []*store.Case
	err = cl.tx.ScanCases(q, func(c *store.Case, _ string) bool {
		if skip > 0 {
			skip--
			return true
		}
		cases = append(cases, c)
		return len(cases) <= page
	})
	if err != nil {
		return "", fmt.Errorf("list cases: %w", err)
	}
	if len(cases) == 0 {
		switch {
		case f.page > 1:
			return i18n.T(cl.lang, "No more cases: page %d is past the end.", f.page), nil
		case f.finished || f.every:
			return i18n.T(cl.lang, "No cases match."), nil
		}
		return i18n.T(cl.lang, "No open cases match."), nil
	}
	if f.page > 1 {
		title += " " + i18n.T(cl.lang, "page %d", f.page)
	}
	lines := []string{title}
	for i, c := range cases {
		if i == page {
			lines = append(lines, i18n.T(cl.lang, "… more: %s", "/cases "+strings.Join(append(withoutPage(cl.args), "page", strconv.Itoa(f.page+1)), " ")))
			break
		}
		lines = append(lines, cards.Line(c, cl.lang, cl.privacy(nil)))
	}
	return strings.Join(lines, "\n"), nil
}

// withoutPage is args without a "page N" pair.
func withoutPage(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if w := strings.ToLower(args[i]); w == "page" || w == "p" || w == "页" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// mentions says whether a case names a place (in its places, address or
// words).
func mentions(c *store.Case, place string) bool {
	return strings.Contains(strings.Join(c.Assessment.Places, " ")+" "+c.Address+" "+c.Text, place)
}

// mentioned says whether a word is a place for /cases: triage reads a
// place in it, or some open case mentions it.
func (cl *call) mentioned(word string) bool {
	if len(triage.Default().Assess(word).Places) > 0 {
		return true
	}
	found := false
	_, _ = cl.tx.OpenCases(1, func(c *store.Case) bool {
		if !found && mentions(c, word) {
			found = true
		}
		return found
	})
	return found
}

// sourcesPerPage is how many of a case's messages one `/case N` reply
// lists.
const sourcesPerPage = 10

// sourcePage reads "page P" after the case number (1 when absent).
func (cl *call) sourcePage() (int, error) {
	words := cl.args
	if cl.hasCaseNumber() {
		words = words[1:]
	}
	switch {
	case len(words) == 0:
		return 1, nil
	case len(words) == 1 && !strings.EqualFold(words[0], "page"):
		words = []string{"page", words[0]}
	}
	if len(words) != 2 || !strings.EqualFold(words[0], "page") {
		return 0, usageError{}
	}
	n, err := strconv.Atoi(words[1])
	if err != nil || n < 1 {
		return 0, usageError{i18n.T(cl.lang, "%q is not a page number.", words[1])}
	}
	return n, nil
}

// sourcesText lists every message merged into c, oldest first, one page
// at a time: nothing anyone wrote about a case is hidden from the team.
// "" for a case of one message (its card quotes it).
func (cl *call) sourcesText(c *store.Case, page int, p cards.Privacy) (string, error) {
	n := c.SourceCount
	pages := (n + sourcesPerPage - 1) / sourcesPerPage
	if page > 1 && page > pages {
		return "", userError{i18n.T(cl.lang, "Case #%d has no page %d (it has %d).", c.ID, page, max(pages, 1))}
	}
	if n < 2 {
		return "", nil
	}
	from := uint64((page - 1) * sourcesPerPage)
	srcs, err := cl.tx.SourcesPage(c.ID, from, sourcesPerPage)
	if err != nil {
		return "", fmt.Errorf("read messages of case %d: %w", c.ID, err)
	}
	var lines []string
	if pages == 1 {
		lines = append(lines, i18n.T(cl.lang, "Messages (%d):", n))
	} else {
		lines = append(lines, i18n.T(cl.lang, "Messages %d–%d of %d:", int(from)+1, int(from)+len(srcs), n))
	}
	for i, s := range srcs {
		lines = append(lines, fmt.Sprintf("  %d. %s", int(from)+i+1, cl.c.cards.SourceLine(s, cl.lang, p)))
	}
	if page < pages {
		lines = append(lines, i18n.T(cl.lang, "More: /case %d page %d", c.ID, page+1))
	}
	return strings.Join(lines, "\n"), nil
}

// isAlso says whether a word asks to join the holders of a case
// ("/claim 5 also").
func isAlso(w string) bool {
	switch strings.ToLower(w) {
	case "also", "too", "join", "也", "一起", "加入":
		return true
	}
	return false
}

// cmdNew opens a case for a plea the bot did not read as one: the words
// after /new (a level may come first), or the message /new replies to.
func cmdNew(cl *call) error {
	level, words := triage.None, strings.TrimSpace(cl.rest)
	if len(cl.args) > 0 {
		if u, err := triage.ParseUrgency(cl.args[0]); err == nil && u != triage.None {
			level, words = u, cl.textAfter(1)
		}
	}
	n := actions.NewCase{Urgency: level, Text: words, SourceChat: cl.m.Chat, SourceMsg: cl.m.ID, At: cl.m.Time}
	switch r := cl.m.Replied; {
	case cl.m.ReplyTo != "" && r != nil:
		if words != "" {
			return usageError{i18n.T(cl.lang, "Reply to the plea with only /new, or /new and a level (critical, high, normal).")}
		}
		n.Text, n.Asker, n.AskerName, n.SourceMsg, n.At = r.Text, r.Sender, r.SenderName, cl.m.ReplyTo, r.Time
	case cl.m.ReplyTo != "" && words == "":
		// The console (and a platform that gives only an id) does not say
		// what a reply answers.
		return usageError{i18n.T(cl.lang, "I can't see what that reply answers (here, or it is one of my own messages): reply to the plea itself, or paste its words after /new in the coordination chat.")}
	}
	if strings.TrimSpace(n.Text) == "" {
		return usageError{}
	}
	op, err := cl.c.actions.Open(cl.tx, cl.actor, n)
	if err != nil {
		return err
	}
	c := op.Case
	if !cl.actor.SeesPersonalData(c) {
		// A reply in the group where the plea was written: the asker and
		// everyone there learn it was heard, and nothing of its details.
		return cl.reply(i18n.T(cl.lang, "✓ Noted as a request for help (case #%d). Volunteers will follow up.", c.ID))
	}
	if op.Alerted {
		return cl.reply(i18n.T(cl.lang, "✓ Case #%d opened (%s); the alert is on its way.", c.ID, i18n.Urgency(cl.lang, c.Urgency)))
	}
	text := i18n.T(cl.lang, "✓ Case #%d opened.", c.ID) + "\n" + cl.c.cards.Card(c, cl.lang, cl.privacy(c))
	return cl.send(platform.OutMessage{Chat: cl.m.Chat, Thread: cl.m.Thread, Text: text, Buttons: cards.Buttons(c, cl.lang)}, c.ID)
}
