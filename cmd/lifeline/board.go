package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/board"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/ops"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
)

// mountBoard serves the board on the HTTP listener when board.enabled:
// its live updates come from the store's commit hook, its actions go
// through the engine's action layer, and /board sends its sign-in links.
func mountBoard(ctx context.Context, cfg *config.Config, st *store.Store, engine *bot.Engine, h *ops.Handler, addr net.Addr, log *slog.Logger) error {
	if !cfg.Board.Enabled {
		return nil
	}
	public := cfg.HTTP.PublicURL
	if public == "" {
		public = "http://" + addr.String()
		log.Warn("board: http.public_url is empty; sign-in links point to the listener itself", "url", public)
	}
	changes := env.NewChanges()
	st.OnCommit(changes.Publish)
	b, err := board.New(engine.Env(), engine.Actions(), engine.Wake, changes, board.Options{
		PublicURL:  public,
		StaleAfter: cfg.Workflow.StaleAfter.D(),
		Exporter:   engine.Downloads(),
		Importer:   engine,
	})
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	// Open pages hold event streams: end them when the listener stops, so
	// its shutdown does not wait for browsers.
	context.AfterFunc(ctx, b.Close)
	h.Handle("/board/", b)
	engine.SetBoard(b)
	log.Info("board on", "url", public+"/board/")
	return nil
}
