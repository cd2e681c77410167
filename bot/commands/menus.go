package commands

import (
	"context"
	"fmt"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// The command menus a platform shows (Telegram's "/" button): askers see
// their own few commands in private chats, the volunteers' commands are
// offered only in the coordination chats and rooms, and public groups get
// no menu at all — advertising /claim or /grant to strangers invites them
// to try.

// menuEntry is one menu item: the command and its description key.
type menuEntry struct{ cmd, desc string }

var askerMenu = []menuEntry{
	{"start", "Ask for help"},
	{"status", "Status of my request"},
	{"cancel", "Withdraw my request"},
	{"help", "How this bot works"},
}

var volunteerMenu = []menuEntry{
	{"cases", "Open cases by urgency"},
	{"case", "Show one case: /case 42"},
	{"new", "Open a case the bot missed: /new words"},
	{"claim", "Take a case: /claim 42"},
	{"verify", "Mark a case verified: /verify 42"},
	{"note", "Add a note: /note 42 text"},
	{"resolve", "Mark a case resolved: /resolve 42"},
	{"room", "Open a rescue room: /room 42"},
	{"assign", "Give a case to someone: /assign 42 @name"},
	{"broadcast", "Push a masked card to broadcast groups"},
	{"find", "Search the directory: /find dialysis"},
	{"stats", "Counts of cases"},
	{"help", "Commands and how to use them"},
}

func menuItems(entries []menuEntry, lang string) []platform.MenuItem {
	out := make([]platform.MenuItem, len(entries))
	for i, e := range entries {
		out[i] = platform.MenuItem{Command: e.cmd, Description: i18n.T(lang, e.desc)}
	}
	return out
}

// Menus are the menus of one platform: the askers' in private chats, none
// in groups, and the volunteers' in each coordination chat and room on it,
// each in its chat's language.
func (c *Commands) Menus(tx *store.Tx, platformName string) (platform.Menus, error) {
	menus := platform.Menus{Private: menuItems(askerMenu, c.env.Language), Chats: map[string][]platform.MenuItem{}}
	for _, role := range []store.ChatRole{store.RoleCoordination, store.RoleRoom} {
		chats, err := env.ChatsWithRole(tx, role)
		if err != nil {
			return menus, err
		}
		for _, ch := range chats {
			if platform.PlatformOf(ch.Ref) == platformName {
				menus.Chats[ch.Ref] = menuItems(volunteerMenu, c.env.Lang(ch))
			}
		}
	}
	return menus, nil
}

// PublishMenus sets the menus of every platform that shows them. A
// platform that fails is logged and the others still get theirs.
func (c *Commands) PublishMenus(ctx context.Context) error {
	var firstErr error
	for _, name := range c.env.Platforms() {
		if err := c.publishMenus(ctx, name); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (c *Commands) publishMenus(ctx context.Context, name string) error {
	p, ok := c.env.Platform(name)
	if !ok {
		return nil
	}
	setter, ok := p.(platform.MenuSetter)
	if !ok {
		return nil
	}
	var menus platform.Menus
	if err := c.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		menus, err = c.Menus(tx, name)
		return err
	}); err != nil {
		return fmt.Errorf("menus for %s: %w", name, err)
	}
	if err := setter.SetMenus(ctx, menus); err != nil {
		c.env.Log.Warn("set command menus", "platform", name, "err", err)
		return fmt.Errorf("set menus on %s: %w", name, err)
	}
	c.env.Log.Debug("command menus set", "platform", name, "chats", len(menus.Chats))
	return nil
}
