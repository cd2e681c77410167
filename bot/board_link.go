package bot

import (
	"github.com/lifeline-aid/lifeline/bot/commands"
	"github.com/lifeline-aid/lifeline/bot/env"
)

// Env is the engine's shared plumbing, for the web board (which runs the
// action layer against the same store, clock, names and admins).
func (e *Engine) Env() *env.Env { return e.env }

// SetBoard plugs in the board's sign-in links, so /board works.
func (e *Engine) SetBoard(l commands.LoginLinks) { e.commands.SetLoginLinks(l) }
