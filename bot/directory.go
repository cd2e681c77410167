package bot

import (
	"context"

	"github.com/lifeline-aid/lifeline/store"
)

func cmdFind(cc *cmdCtx) error { return refuse("the directory is not available yet") }
func cmdDir(cc *cmdCtx) error  { return refuse("the directory is not available yet") }

// directoryMatches are the best directory entries for a case (category and
// district), listed on its card.
func directoryMatches(tx *store.Tx, c *store.Case) ([]store.DirEntry, error) { return nil, nil }

// maybeAutoReply answers a non-urgent request in an intake group with
// matching directory entries, when enabled and not too often.
func (e *Engine) maybeAutoReply(ctx context.Context, m Message, chat *store.Chat, c *store.Case) {}
