package bot

import (
	"context"
	"fmt"

	"github.com/lifeline-aid/lifeline/bot/commands"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/throttle"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// ThrottleOptions limit how often the bot answers one person and one group.
type ThrottleOptions = throttle.Options

// throttleObserver is implemented by observers that count refused answers
// (the metrics); an observer without it counts nothing.
type throttleObserver interface{ Throttled(scope string) }

// verdictKey carries a throttle verdict already taken for a message (a
// batch decides before handling, see batch.go), so it is taken once.
type verdictKey struct{ chat, id string }

type verdictsKey struct{}

// throttled decides whether to answer m. A refused message is recorded as
// seen (so its redelivery is harmless) and, once per notice period, its
// sender is told; it reports true when the caller must not handle m. A
// private message that reads as a plea (or carries media that may be one)
// is always handled: pleas are never throttled.
func (e *Engine) throttled(ctx context.Context, m platform.Message, chat *store.Chat) (bool, error) {
	group := ""
	if !m.Private {
		group = m.Chat
	}
	taken, _ := ctx.Value(verdictsKey{}).(map[verdictKey]throttle.Verdict)
	v, decided := taken[verdictKey{m.Chat, m.ID}]
	if !decided {
		v = e.throttle.Allow(m.Sender, group, e.env.Now())
	}
	if v.Allowed {
		return false, nil
	}
	if m.Private && !commands.IsCommand(m.Text) && (media.Has(m) || e.triage.Assess(m.Text).Urgency > triage.None) {
		return false, nil
	}
	e.env.Log.Warn("answer throttled", "scope", v.Scope, "sender", m.Sender, "chat", m.Chat, "msg", m.ID, "notice", v.Notice)
	if o, ok := e.env.ObserveIn(ctx).(throttleObserver); ok {
		o.Throttled(v.Scope)
	}
	err := e.env.Once(ctx, m, func(tx *store.Tx) error {
		if !v.Notice {
			return nil
		}
		to := m.Chat
		if !m.Private {
			if dm, err := delivery.PrivateChat(tx, m.Sender); err == nil && dm != "" {
				to = dm // tell them, not the whole group
			}
		}
		lang := e.env.Lang(chat)
		text := i18n.T(lang, "You are sending messages faster than I can answer, so I will not reply for a few minutes. Urgent requests for help are still recorded and passed to volunteers.")
		if to == m.Chat && !m.Private && m.SenderName != "" {
			text = m.SenderName + ": " + text
		}
		return delivery.Enqueue(tx, e.env.Now(), delivery.KindReply, 0, platform.OutMessage{Chat: to, Text: text}, // an answer: the reply lane, not behind digests
			fmt.Sprintf("throttle:%s:%s", m.Chat, env.MsgKey(m).ID))
	})
	if err != nil {
		return true, fmt.Errorf("record throttled message: %w", err)
	}
	return true, nil
}
