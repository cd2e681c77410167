package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/bot"
)

// command is one menu entry in both languages.
type command struct{ name, en, zh string }

// askerCommands are offered in private chats with the bot.
var askerCommands = []command{
	{"start", "Ask for help", "求助"},
	{"help", "How this bot works", "使用说明"},
	{"status", "Status of my request", "查看我的求助进度"},
	{"cancel", "Withdraw my request", "撤回我的求助"},
}

// volunteerCommands are offered in groups, where volunteers work.
var volunteerCommands = []command{
	{"help", "Commands and how to use them", "命令说明"},
	{"cases", "Open cases by urgency", "按紧急程度列出未结案例"},
	{"case", "Show one case: /case 42", "查看案例：/case 42"},
	{"claim", "Take a case: /claim 42", "认领案例：/claim 42"},
	{"verify", "Mark a case verified: /verify 42", "标记已核实：/verify 42"},
	{"resolve", "Mark a case resolved: /resolve 42", "标记已解决：/resolve 42"},
	{"note", "Add a note: /note 42 text", "添加备注：/note 42 内容"},
	{"room", "Open a rescue room: /room 42", "开救援小群：/room 42"},
	{"broadcast", "Push a masked card to broadcast groups", "向转发群推送脱敏卡片"},
	{"find", "Search the directory: /find dialysis", "查找资源：/find 透析"},
	{"stats", "Counts of cases", "案例统计"},
	{"digest", "Summary now", "立即生成摘要"},
}

// SetCommands publishes the built-in menus: the asker's commands in
// private chats, the volunteers' in each chat of Options.MenuChats (the
// coordination chats) and in pool rooms, and none in other groups, so the
// volunteers' commands are never advertised in public groups (#12 item 7).
// Each comes in Chinese (for clients set to zh) and English (everyone
// else). It does nothing once the engine published its own with SetMenus.
func (a *Adapter) SetCommands(ctx context.Context) error {
	a.menuMu.Lock()
	defer a.menuMu.Unlock()
	if a.menusSetBy == "engine" {
		return nil
	}
	var errs []error
	set := func(scope models.BotCommandScope, cmds []command, where string) {
		for _, lang := range []string{"zh", ""} {
			list := make([]models.BotCommand, 0, len(cmds))
			for _, c := range cmds {
				d := c.en
				if lang == "zh" {
					d = c.zh
				}
				list = append(list, models.BotCommand{Command: c.name, Description: d})
			}
			if _, err := a.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: list, Scope: scope, LanguageCode: lang}); err != nil {
				errs = append(errs, fmt.Errorf("set commands for %s (language %q): %w", where, lang, a.mask(err)))
			}
		}
	}
	set(&models.BotCommandScopeAllPrivateChats{}, askerCommands, "private chats")
	errs = append(errs, a.clearMenu(ctx, &models.BotCommandScopeAllGroupChats{}, "all groups"))
	for _, ref := range a.volunteerChats() {
		id, err := chatID(ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("menu for %s: %w", ref, err))
			continue
		}
		set(&models.BotCommandScopeChat{ChatID: id}, volunteerCommands, ref)
	}
	a.menusSetBy = "adapter"
	return errors.Join(errs...)
}

// volunteerChats are the chats that get the volunteers' built-in menu.
func (a *Adapter) volunteerChats() []string {
	out := append([]string(nil), a.opts.MenuChats...)
	if a.opts.Rooms == RoomsPool {
		for _, g := range a.opts.Pool {
			out = append(out, Ref(g))
		}
	}
	return out
}

// clearMenu deletes a scope's menu in every language it was published in.
func (a *Adapter) clearMenu(ctx context.Context, scope models.BotCommandScope, where string) error {
	var errs []error
	for _, lang := range []string{"zh", ""} {
		if _, err := a.api.DeleteMyCommands(ctx, &tgbot.DeleteMyCommandsParams{Scope: scope, LanguageCode: lang}); err != nil {
			errs = append(errs, fmt.Errorf("clear commands for %s (language %q): %w", where, lang, a.mask(err)))
		}
	}
	return errors.Join(errs...)
}

// SetMenus publishes the engine's menus, replacing the built-in ones:
// Private in private chats, Groups in every group, and each of Chats in
// that chat alone (the coordination chats). A nil list shows no menu there.
// Menus carry one language, so any Chinese-language list published before
// is removed and every client sees these.
func (a *Adapter) SetMenus(ctx context.Context, menus bot.Menus) error {
	a.menuMu.Lock()
	defer a.menuMu.Unlock()
	var errs []error
	apply := func(scope models.BotCommandScope, items []bot.MenuItem, where string) {
		if _, err := a.api.DeleteMyCommands(ctx, &tgbot.DeleteMyCommandsParams{Scope: scope, LanguageCode: "zh"}); err != nil {
			errs = append(errs, fmt.Errorf("clear zh commands for %s: %w", where, a.mask(err)))
		}
		if len(items) == 0 {
			if _, err := a.api.DeleteMyCommands(ctx, &tgbot.DeleteMyCommandsParams{Scope: scope}); err != nil {
				errs = append(errs, fmt.Errorf("clear commands for %s: %w", where, a.mask(err)))
			}
			return
		}
		list := make([]models.BotCommand, 0, len(items))
		for _, it := range items {
			list = append(list, models.BotCommand{Command: strings.TrimPrefix(it.Command, "/"), Description: it.Description})
		}
		if _, err := a.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: list, Scope: scope}); err != nil {
			errs = append(errs, fmt.Errorf("set commands for %s: %w", where, a.mask(err)))
		}
	}
	apply(&models.BotCommandScopeAllPrivateChats{}, menus.Private, "private chats")
	apply(&models.BotCommandScopeAllGroupChats{}, menus.Groups, "all groups")
	chats := make([]string, 0, len(menus.Chats))
	for ref := range menus.Chats {
		chats = append(chats, ref)
	}
	slices.Sort(chats)
	for _, ref := range chats {
		if bot.PlatformOf(ref) != Name {
			continue
		}
		id, err := chatID(ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("menu for %s: %w", ref, err))
			continue
		}
		apply(&models.BotCommandScopeChat{ChatID: id}, menus.Chats[ref], ref)
	}
	a.menusSetBy = "engine"
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telegram: set menus: %w", err)
	}
	return nil
}
