package telegram

import (
	"context"
	"errors"
	"fmt"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
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

// SetCommands publishes the command menu: the asker's commands in private
// chats and the volunteers' in groups, in Chinese (for clients set to zh)
// and English (everyone else).
func (a *Adapter) SetCommands(ctx context.Context) error {
	scopes := []struct {
		scope models.BotCommandScope
		cmds  []command
	}{
		{&models.BotCommandScopeAllPrivateChats{}, askerCommands},
		{&models.BotCommandScopeAllGroupChats{}, volunteerCommands},
	}
	var errs []error
	for _, s := range scopes {
		for _, lang := range []string{"zh", ""} {
			list := make([]models.BotCommand, 0, len(s.cmds))
			for _, c := range s.cmds {
				d := c.en
				if lang == "zh" {
					d = c.zh
				}
				list = append(list, models.BotCommand{Command: c.name, Description: d})
			}
			_, err := a.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: list, Scope: s.scope, LanguageCode: lang})
			if err != nil {
				errs = append(errs, fmt.Errorf("set commands (language %q): %w", lang, a.mask(err)))
			}
		}
	}
	return errors.Join(errs...)
}
