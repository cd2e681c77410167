package main

import (
	"context"
	"log/slog"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
)

// platformAdapters builds the chat platforms other than the console.
func platformAdapters(ctx context.Context, cfg *config.Config, st *store.Store, engine *bot.Engine, log *slog.Logger) ([]adapter, error) {
	return nil, nil
}
