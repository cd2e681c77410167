package asker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/intake"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// DraftWait is how long details sent privately without a request (a
// phone, a place, a map pin, "my neighbour, 86") wait for the person to
// say what is needed before they go to the volunteers anyway.
const DraftWait = 10 * time.Minute

// RunDueDrafts passes on, as normal cases, the details that have waited
// DraftWait for a request, and tells each person so: nothing written to
// the bot stays unseen because its question went unanswered. It returns
// how many cases it opened.
func (as *Asker) RunDueDrafts(ctx context.Context) (int, error) {
	now := as.env.Now()
	var due []string
	err := as.env.Store.View(ctx, func(tx *store.Tx) error {
		return tx.ForEachState(convKey(""), func(key string, raw []byte) error {
			var conv askerConv
			if err := json.Unmarshal(raw, &conv); err != nil {
				as.env.Log.Error("undecodable conversation state; its details are not passed on", "key", key, "err", err)
				return nil
			}
			if draftDue(conv, now) {
				due = append(due, strings.TrimPrefix(key, convKey("")))
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("find waiting details: %w", err)
	}
	opened := 0
	var errs []error
	for _, person := range due {
		// One person's failure must not hold back everyone after them.
		ok, err := as.passDraft(ctx, person, now)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			opened++
		}
	}
	if opened > 0 {
		as.env.Wake()
	}
	return opened, errors.Join(errs...)
}

func draftDue(conv askerConv, now time.Time) bool {
	return (conv.Draft != "" || conv.Location != nil) && !conv.DraftAt.IsZero() && now.Sub(conv.DraftAt) >= DraftWait
}

// passDraft opens person's waiting details as a case, unless a message of
// theirs changed the conversation meanwhile.
func (as *Asker) passDraft(ctx context.Context, person string, now time.Time) (bool, error) {
	var c *store.Case
	err := as.env.Store.Update(ctx, func(tx *store.Tx) error {
		c = nil
		conv, err := loadConv(tx, person)
		if err != nil || !draftDue(conv, now) {
			return err
		}
		chat, err := delivery.PrivateChat(tx, person)
		if err != nil {
			return err
		}
		p, err := tx.Person(person)
		if errors.Is(err, store.ErrNotFound) {
			p, err = &store.Person{Ref: person}, nil
		}
		if err != nil {
			return fmt.Errorf("read person %s: %w", person, err)
		}
		text := conv.Draft
		if text == "" && conv.Location != nil {
			text = i18n.T(p.Language, "(a map pin, nothing else)")
		}
		a := as.triage.Assess(text)
		m := platform.Message{Chat: chat, Private: true, ID: "draft-" + strconv.FormatInt(conv.DraftAt.Unix(), 10),
			Sender: person, SenderName: p.Name, Text: text, Time: conv.DraftAt}
		proposal := intake.ProposalAtLeast(m, a, triage.Normal)
		proposal.Location = conv.Location
		res, err := tx.Ingest(store.IngestRequest{Msg: store.MessageKey{Chat: chat, ID: m.ID}, At: conv.DraftAt, Case: proposal})
		if err != nil || res.Duplicate {
			return err
		}
		c = res.Case
		if err := tx.AppendEvent(&store.Event{Case: c.ID, At: now, Actor: person, Kind: "draft",
			Note: fmt.Sprintf("passed on after %s without a request", DraftWait)}); err != nil {
			return err
		}
		if err := putConv(tx, person, askerConv{Case: c.ID, Asked: map[string]int{"need": 1}}, now); err != nil {
			return err
		}
		if chat == "" {
			return nil // no private chat on record: the case stands, nobody to tell
		}
		lang := p.Language
		text = i18n.T(lang, "I have passed what you sent me to the volunteers as request #%d, so it is not lost. When you can, tell me what is needed and for whom.", c.ID)
		out := platform.OutMessage{Chat: chat, Text: text}
		return delivery.Enqueue(tx, now, delivery.KindReply, c.ID, out, "draft:"+person+":"+m.ID)
	})
	if err != nil {
		return false, fmt.Errorf("pass on the details of %s: %w", person, err)
	}
	if c != nil {
		as.env.Log.Info("waiting details passed on as a case", "case", c.ID, "person", person)
	}
	return c != nil, nil
}
