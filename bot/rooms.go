package bot

import (
	"context"

	"github.com/lifeline-aid/lifeline/store"
)

func roomOutside(ctx context.Context, cc *cmdCtx) error { return nil }
func cmdRoom(cc *cmdCtx) error                           { return refuse("rooms are not available yet") }

// handleRoomMessage adds a message in a case room to the case's history.
func (e *Engine) handleRoomMessage(ctx context.Context, m Message, chat *store.Chat) error {
	return e.markSeen(ctx, m)
}

// maybeAutoRoom opens a room for a case at the configured urgency.
func (e *Engine) maybeAutoRoom(ctx context.Context, c *store.Case) {}

// afterFinish runs when a case is resolved or closed.
func (e *Engine) afterFinish(cc *cmdCtx, c *store.Case) error { return nil }
