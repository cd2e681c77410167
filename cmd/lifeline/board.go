package main

import (
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

// boardExporter is the board's download source; nil until reports export
// is wired (the links stay hidden).
var boardExporter board.Exporter

// mountBoard serves the board on the HTTP listener when board.enabled:
// its live updates come from the store's commit hook, its actions go
// through the engine's action layer, and /board sends its sign-in links.
func mountBoard(cfg *config.Config, st *store.Store, engine *bot.Engine, h *ops.Handler, addr net.Addr, log *slog.Logger) error {
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
		Exporter:   boardExporter,
	})
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	h.Handle("/board/", b)
	engine.SetBoard(b)
	log.Info("board on", "url", public+"/board/")
	return nil
}
