package bot

import (
	"context"
	"errors"

	"github.com/lifeline-aid/lifeline/store"
)

// zhAskerText holds the Chinese replies of the asker conversation.
var zhAskerText = map[string]string{}

// handleAsker answers a person writing to the bot privately.
func (e *Engine) handleAsker(ctx context.Context, m Message, chat *store.Chat) error {
	a := e.triage.Assess(m.Text)
	c, err := e.ingest(ctx, m, chat, a)
	if err != nil || c == nil {
		return err
	}
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		return e.enqueue(tx, "reply", c.ID, OutMessage{Chat: m.Chat, Text: tr(e.lang(chat), "case #%d", c.ID)}, "")
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

func cmdStart(cc *cmdCtx) error       { return cmdHelp(cc) }
func cmdAskerStatus(cc *cmdCtx) error { return cmdHelp(cc) }
func cmdCancel(cc *cmdCtx) error      { return cmdHelp(cc) }

// notifyAsker tells the asker about a change that matters to them.
func (e *Engine) notifyAsker(tx *store.Tx, c *store.Case, what string) error { return nil }
