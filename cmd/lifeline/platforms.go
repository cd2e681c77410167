package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/lifeline-aid/lifeline/adapters/telegram"
	"github.com/lifeline-aid/lifeline/adapters/wechat"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/notify"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
)

// platformAdapters builds the chat platforms other than the console from
// the config, each with the store for the little state it keeps (update
// offsets, identity maps).
func platformAdapters(ctx context.Context, cfg *config.Config, st *store.Store, engine *bot.Engine, notifier *notify.Notifier, log *slog.Logger, terminal io.Writer) ([]adapter, error) {
	var out []adapter
	if t := cfg.Platforms.Telegram; t.Enabled {
		// The volunteers' command menu is shown in the coordination chats
		// only, never in public groups.
		var menuChats []string
		for _, g := range cfg.Groups {
			if g.Role == "coordination" && bot.PlatformOf(g.Chat) == telegram.Name {
				menuChats = append(menuChats, g.Chat)
			}
		}
		a, err := telegram.New(ctx, telegram.Options{
			Token:         string(t.Token),
			APIURL:        t.APIURL,
			Mode:          t.Mode,
			WebhookListen: t.Webhook.Listen,
			WebhookURL:    t.Webhook.URL,
			WebhookSecret: string(t.Webhook.Secret),
			Rooms:         t.Rooms,
			Pool:          t.Pool,
			State:         st,
			Logger:        log.With("platform", "telegram"),
			MenuChats:     menuChats,
			OnNotice: func(ctx context.Context, text string) {
				// Telegram works when this is said: its admins hear it too.
				engine.NotifyAdmins(ctx, "", text)
			},
		})
		if err != nil {
			return nil, fmt.Errorf("platforms.telegram: %w", err)
		}
		out = append(out, a)
	}
	if w := cfg.Platforms.WeChat; w.Enabled {
		a, err := wechat.New(wechat.Options{
			SessionFile:   cfg.DataPath(w.SessionFile),
			Endpoint:      w.Endpoint,
			MinGap:        w.MinGap.D(),
			MaxGap:        w.MaxGap.D(),
			HourlyCap:     w.HourlyCap,
			RoomsPerDay:   w.RoomsPerDay,
			AcceptFriends: w.AcceptFriends,
			State:         st,
			Logger:        log.With("platform", "wechat"),
			QROut:         terminal, // the login QR code is for the operator's eyes
			OnLoginNeeded: func(ctx context.Context, qrURL string) {
				engine.NotifyAdmins(ctx, "wechat", "WeChat needs a fresh login: scan the QR code in the bot's terminal or open "+qrURL)
				// The webhook may be a public push topic: it says where the
				// code is, not the login link itself.
				notifier.Notify(notify.Critical, "WeChat needs a fresh login: scan the QR code in the bot's log (docker logs lifeline, or journalctl -u lifeline). Until then WeChat messages are neither read nor sent.")
			},
			OnAdminNotice: func(ctx context.Context, text string) {
				// WeChat is up when it says this (a renamed group, an id
				// collision at login): WeChat admins must hear it too.
				engine.NotifyAdmins(ctx, "", text)
				notifier.Notify(notify.Warning, text)
			},
		})
		if err != nil {
			return nil, fmt.Errorf("platforms.wechat: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}
