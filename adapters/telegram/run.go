package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/bot"
)

// allowedUpdates are the update types Lifeline reads.
var allowedUpdates = []string{
	models.AllowedUpdateMessage,
	models.AllowedUpdateEditedMessage,
	models.AllowedUpdateCallbackQuery,
	models.AllowedUpdateMyChatMember,
}

// Backoff bounds after a failed poll or a failed handler.
const (
	minBackoff = 200 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// Run publishes the command menu, then receives updates (long polling or
// webhook, per Options.Mode) and hands them to h one at a time until ctx
// is done. An update is confirmed to Telegram — and its id persisted — only
// after h.HandleMessage returned nil; on an error the same update is tried
// again after a backoff, so none is lost and, with the engine's seen
// record, none acts twice.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if err := a.loadOffset(ctx); err != nil {
		return err
	}
	if !a.opts.SkipCommands {
		if err := a.SetCommands(ctx); err != nil {
			// A missing menu is cosmetic; typed commands still work.
			a.log.Warn("publish command menu", "err", err)
		}
	}
	a.cbMu.Lock()
	a.runCtx = ctx
	a.cbMu.Unlock()
	defer a.stopAnswerTimers()
	a.setStatus(false, "starting")
	defer a.setStatus(false, "stopped")
	if a.opts.Mode == ModeWebhook {
		return a.runWebhook(ctx, h)
	}
	return a.poll(ctx, h)
}

func (a *Adapter) offsetKey() string { return fmt.Sprintf("telegram/%d/offset", a.me.ID) }

func (a *Adapter) loadOffset(ctx context.Context) error {
	raw, err := a.state.GetState(ctx, a.offsetKey())
	if err != nil {
		return fmt.Errorf("telegram: read update offset: %w", err)
	}
	a.handleMu.Lock()
	defer a.handleMu.Unlock()
	if len(raw) > 0 {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return fmt.Errorf("telegram: bad stored update offset %q: %w", raw, err)
		}
		a.last = max(a.last, n)
	}
	return nil
}

// LastHandled returns the id of the last update handled successfully.
func (a *Adapter) LastHandled() int64 {
	a.handleMu.Lock()
	defer a.handleMu.Unlock()
	return a.last
}

// poll long-polls getUpdates itself rather than through the library's
// Start: the library asks for the next batch (which confirms, and makes
// Telegram forget, everything fetched so far) while updates still wait
// in its queue, so a crash there loses them whatever initial offset a
// restart uses. Here the offset sent is always last handled + 1.
func (a *Adapter) poll(ctx context.Context, h bot.Handler) error {
	// getUpdates fails with 409 while a webhook is set.
	if _, err := a.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil && ctx.Err() == nil {
		a.log.Warn("delete webhook before polling", "err", a.mask(err))
	}
	var backoff time.Duration
	var failing error // the error of the current failure streak, logged once
	var stuckID int64 // an update that keeps failing, and how often it has
	var stuckTries int
	var batchErr string // the last batch failure, logged once
	fail := func(what string, err error) bool {
		if failing == nil || failing.Error() != err.Error() {
			a.log.Error(what, "err", err)
		}
		failing = err
		backoff = min(max(backoff*2, minBackoff), maxBackoff)
		return sleep(ctx, backoff)
	}
	for ctx.Err() == nil {
		updates, err := a.getUpdates(ctx, a.LastHandled()+1)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, tgbot.ErrorUnauthorized) {
				a.setStatus(false, "Telegram refused the bot token (revoked?): check platforms.telegram.token")
				return fmt.Errorf("telegram: poll updates: %w", err)
			}
			a.setStatus(false, pollTrouble(err))
			if !fail("poll updates", err) {
				break
			}
			continue
		}
		a.setStatus(true, "")
		if bh, isBatch := h.(bot.BatchHandler); isBatch && len(updates) > 1 {
			err := a.handleBatch(ctx, bh, updates)
			if err == nil {
				if failing != nil {
					a.log.Info("telegram updates flowing again")
				}
				failing, backoff, batchErr = nil, 0, ""
				continue
			}
			if ctx.Err() != nil {
				break
			}
			// One at a time finds an update that can never be recorded and,
			// after PoisonAttempts, skips only that one.
			if err.Error() != batchErr {
				a.log.Warn("a page of updates was not recorded together; trying them one at a time", "updates", len(updates), "err", err)
			}
			batchErr = err.Error()
		}
		ok := true
		for i, u := range updates {
			if err := a.handle(ctx, h, u); err != nil {
				ok = false
				if u.ID == stuckID {
					stuckTries++
				} else {
					stuckID, stuckTries = u.ID, 1
				}
				if stuckTries >= a.opts.PoisonAttempts && i+1 < len(updates) {
					// Try what is behind it: if a later update goes through,
					// only this one is bad, and it is skipped (the offset moves
					// past it). If they fail too the engine itself is in
					// trouble, and everything waits, nothing lost.
					a.log.Error("update keeps failing; trying the ones after it", "update", u.ID, "attempts", stuckTries, "err", err)
					continue
				}
				if ctx.Err() == nil && !fail("handle update", fmt.Errorf("update %d: %w", u.ID, err)) {
					return nil
				}
				break // fetch again from the failed update
			}
			if stuckID != 0 && u.ID > stuckID {
				a.log.Error("update skipped after repeated failures: it is lost", "update", stuckID, "attempts", stuckTries)
				stuckID, stuckTries = 0, 0
			}
		}
		if ok {
			if failing != nil {
				a.log.Info("telegram updates flowing again")
			}
			failing, backoff = nil, 0
		}
	}
	return nil
}

// sleep waits d or until ctx is done; it reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// getUpdates is one long poll.
func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]*models.Update, error) {
	body, err := json.Marshal(map[string]any{
		"offset":          offset,
		"timeout":         max(int(a.opts.PollTimeout/time.Second), 1),
		"allowed_updates": allowedUpdates,
	})
	if err != nil {
		return nil, fmt.Errorf("encode getUpdates: %w", err)
	}
	u := a.apiURL + "/bot" + a.opts.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, a.mask(fmt.Errorf("build getUpdates request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = strings.ReplaceAll(uerr.URL, a.opts.Token, "<token>")
		}
		return nil, a.mask(fmt.Errorf("getUpdates: %w", err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read getUpdates response: %w", err)
	}
	var r struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode getUpdates response (HTTP %d): %w", resp.StatusCode, err)
	}
	if !r.OK {
		err := fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
		if r.ErrorCode == http.StatusUnauthorized {
			err = fmt.Errorf("getUpdates: %w, %s", tgbot.ErrorUnauthorized, r.Description)
		}
		return nil, err
	}
	out := make([]*models.Update, 0, len(r.Result))
	for _, item := range r.Result {
		u := &models.Update{}
		if err := json.Unmarshal(item, u); err != nil {
			// An update we cannot read would block the queue forever; take
			// its id so it can be confirmed and skipped.
			var id struct {
				ID int64 `json:"update_id"`
			}
			_ = json.Unmarshal(item, &id)
			a.log.Warn("skip unreadable update", "update", id.ID, "err", err)
			u = &models.Update{ID: id.ID}
		}
		out = append(out, u)
	}
	return out, nil
}

// runWebhook registers the webhook and serves it until ctx is done.
func (a *Adapter) runWebhook(ctx context.Context, h bot.Handler) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", a.opts.WebhookListen)
	if err != nil {
		return fmt.Errorf("telegram: webhook listen on %s: %w", a.opts.WebhookListen, err)
	}
	srv := &http.Server{Handler: a.WebhookHandler(h), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	_, err = a.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL:         a.opts.WebhookURL,
		SecretToken: a.opts.WebhookSecret,
		// One connection at a time keeps updates in order.
		MaxConnections: 1,
		AllowedUpdates: allowedUpdates,
	})
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("telegram: set webhook %s: %w", a.opts.WebhookURL, a.mask(err))
	}
	a.log.Info("webhook serving", "listen", ln.Addr().String(), "url", a.opts.WebhookURL)
	a.setStatus(true, "")
	go a.watchWebhook(ctx)
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		return nil
	case err := <-errc:
		return fmt.Errorf("telegram: webhook server: %w", err)
	}
}

// WebhookHandler serves Telegram's webhook posts. A request without the
// configured secret token gets 401 and is not handled. An update the
// engine fails to record gets 500, so Telegram delivers it again.
func (a *Adapter) WebhookHandler(h bot.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if a.opts.WebhookSecret != "" {
			got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
			if subtle.ConstantTimeCompare([]byte(got), []byte(a.opts.WebhookSecret)) != 1 {
				a.log.Warn("webhook request with a wrong secret token", "remote", r.RemoteAddr)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		u := &models.Update{}
		if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(u); err != nil {
			// Telegram would resend a broken body forever; refuse it once.
			a.log.Warn("webhook: unreadable update", "err", err)
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		a.setStatus(true, "")
		if err := a.handle(r.Context(), h, u); err != nil {
			a.log.Error("webhook: handle update", "update", u.ID, "err", err)
			http.Error(w, "not handled, retry", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// handle maps one update and gives it to h, serialised with every other
// update, then records it as handled. Updates at or below the last handled
// id are acknowledged without handling.
func (a *Adapter) handle(ctx context.Context, h bot.Handler, u *models.Update) error {
	a.handleMu.Lock()
	defer a.handleMu.Unlock()
	if u.ID != 0 && u.ID <= a.last {
		return nil
	}
	a.trackPoolMembers(ctx, u)
	offsetSaved := false
	if m, ok := a.mapUpdate(u); ok && !a.repeatedMembership(m, nil) {
		if bh, isBatch := h.(bot.BatchHandler); isBatch && u.ID > a.last {
			// The offset is committed with the message: one write, not two.
			if err := bh.HandleBatch(ctx, bot.Batch{Messages: []bot.Message{m}, State: []bot.StateWrite{a.offsetWrite(u.ID)}}); err != nil {
				return err
			}
			offsetSaved = true
		} else if err := h.HandleMessage(ctx, m); err != nil {
			return err
		}
		a.afterHandled(m)
	}
	if u.ID > a.last {
		a.last = u.ID
		if !offsetSaved {
			a.saveOffset(ctx, u.ID)
		}
	}
	return nil
}

// handleBatch hands a getUpdates page to the engine as one batch, with the
// new offset in the same commit. Nothing is confirmed to Telegram (the next
// getUpdates offset) before HandleBatch returned nil.
func (a *Adapter) handleBatch(ctx context.Context, bh bot.BatchHandler, updates []*models.Update) error {
	a.handleMu.Lock()
	defer a.handleMu.Unlock()
	var msgs []bot.Message
	pending := map[string]membershipSeen{}
	top := a.last
	for _, u := range updates {
		if u.ID != 0 && u.ID <= a.last {
			continue
		}
		a.trackPoolMembers(ctx, u)
		if m, ok := a.mapUpdate(u); ok && !a.repeatedMembership(m, pending) {
			msgs = append(msgs, m)
			if m.Kind == bot.KindJoined || m.Kind == bot.KindLeft {
				pending[m.Chat] = membershipSeen{kind: m.Kind, at: time.Now()}
			}
		}
		top = max(top, u.ID)
	}
	if top == a.last {
		return nil
	}
	if len(msgs) == 0 {
		a.saveOffset(ctx, top)
	} else if err := bh.HandleBatch(ctx, bot.Batch{Messages: msgs, State: []bot.StateWrite{a.offsetWrite(top)}}); err != nil {
		return fmt.Errorf("record %d updates: %w", len(msgs), err)
	}
	for _, m := range msgs {
		a.afterHandled(m)
	}
	a.last = top
	return nil
}

// offsetWrite is the stored offset, as the adapter keeps it: the decimal
// id of the last update handled.
func (a *Adapter) offsetWrite(id int64) bot.StateWrite {
	return bot.StateWrite{Key: a.offsetKey(), Value: []byte(strconv.FormatInt(id, 10))}
}

func (a *Adapter) saveOffset(ctx context.Context, id int64) {
	w := a.offsetWrite(id)
	if err := a.state.PutState(ctx, w.Key, w.Value); err != nil {
		// Handled but not remembered: after a restart Telegram may send it
		// again, and the engine's seen record makes that harmless.
		a.log.Warn("persist update offset", "update", id, "err", err)
	}
}

// afterHandled does what follows a message the engine recorded. Called
// with handleMu held.
func (a *Adapter) afterHandled(m bot.Message) {
	if m.Kind == bot.KindJoined || m.Kind == bot.KindLeft {
		a.membership[m.Chat] = membershipSeen{kind: m.Kind, at: time.Now()}
	}
	if m.Callback != nil {
		a.acknowledgeLater(m.Callback.ID)
	}
}

// membershipSeen is the last join or leave reported for a chat.
type membershipSeen struct {
	kind bot.MessageKind
	at   time.Time
}

// repeatedMembership reports a join or leave already reported moments ago:
// Telegram announces the bot's arrival twice, as my_chat_member and as a
// new_chat_members service message, and the engine would greet twice.
// Called with handleMu held.
// pending holds joins and leaves earlier in the same batch.
func (a *Adapter) repeatedMembership(m bot.Message, pending map[string]membershipSeen) bool {
	if m.Kind != bot.KindJoined && m.Kind != bot.KindLeft {
		return false
	}
	if s, ok := pending[m.Chat]; ok {
		return s.kind == m.Kind
	}
	now := time.Now()
	for chat, s := range a.membership {
		if now.Sub(s.at) > membershipWindow {
			delete(a.membership, chat)
		}
	}
	s, ok := a.membership[m.Chat]
	return ok && s.kind == m.Kind
}

// membershipWindow is how long a join or leave suppresses its twin.
const membershipWindow = 2 * time.Minute

// acknowledgeLater answers a button press after CallbackAnswerDelay unless
// the engine answered it first with a toast: Telegram shows a spinner until
// a press is answered, and accepts only one answer.
func (a *Adapter) acknowledgeLater(id string) {
	a.cbMu.Lock()
	defer a.cbMu.Unlock()
	if _, answered := a.done[id]; answered {
		return
	}
	if _, ok := a.pending[id]; ok {
		return
	}
	parent := a.runCtx
	if parent == nil {
		parent = context.Background()
	}
	a.pending[id] = time.AfterFunc(a.opts.CallbackAnswerDelay, func() {
		ctx, cancel := context.WithTimeout(parent, 10*time.Second)
		defer cancel()
		if err := a.answer(ctx, id, ""); err != nil {
			a.log.Warn("acknowledge button press", "callback", id, "err", err)
		}
	})
}

// answer answers a callback query once; later answers are no-ops.
func (a *Adapter) answer(ctx context.Context, id, toast string) error {
	a.cbMu.Lock()
	if t, ok := a.pending[id]; ok {
		t.Stop()
		delete(a.pending, id)
	}
	if _, answered := a.done[id]; answered {
		a.cbMu.Unlock()
		return nil
	}
	now := time.Now()
	for k, at := range a.done {
		if now.Sub(at) > 10*time.Minute {
			delete(a.done, k)
		}
	}
	a.done[id] = now
	a.cbMu.Unlock()
	if r := []rune(toast); len(r) > maxToast {
		toast = string(r[:maxToast-1]) + "…"
	}
	_, err := a.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: toast})
	if err != nil {
		err = a.classify(err)
		if errors.Is(err, bot.ErrPermanent) {
			// Too old or already answered: nothing a retry could fix.
			a.log.Debug("answer callback", "callback", id, "err", err)
			return nil
		}
		a.cbMu.Lock()
		delete(a.done, id) // let the outbox retry
		a.cbMu.Unlock()
		return fmt.Errorf("answer button press %s: %w", id, err)
	}
	return nil
}

func (a *Adapter) stopAnswerTimers() {
	a.cbMu.Lock()
	defer a.cbMu.Unlock()
	for id, t := range a.pending {
		t.Stop()
		delete(a.pending, id)
	}
}

// Status says whether updates arrive: up while getUpdates answers (or,
// with a webhook, while Telegram reports no delivery error), with the time
// of the last successful poll or webhook post, and why it is down.
func (a *Adapter) Status() bot.PlatformStatus {
	a.statusMu.Lock()
	defer a.statusMu.Unlock()
	return a.status
}

func (a *Adapter) setStatus(up bool, detail string) {
	a.statusMu.Lock()
	defer a.statusMu.Unlock()
	a.status.Up, a.status.Detail = up, detail
	if up {
		a.status.LastUpdate = time.Now()
	}
}

// pollTrouble says in a few words why getUpdates failed.
func pollTrouble(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return "cannot reach Telegram: " + uerr.Err.Error()
	}
	return "Telegram answered an error: " + err.Error()
}

// webhookCheck is how often webhook mode asks Telegram whether it can
// deliver (webhook mode has no poll that would show it).
var webhookCheck = time.Minute

// watchWebhook asks getWebhookInfo now and then: Telegram reports there
// when it cannot reach the webhook, which the bot would otherwise never
// notice (it simply hears nothing).
func (a *Adapter) watchWebhook(ctx context.Context) {
	t := time.NewTicker(webhookCheck)
	defer t.Stop()
	var seenErr int
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		info, err := a.api.GetWebhookInfo(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.setStatus(false, "cannot reach Telegram to check the webhook: "+a.mask(err).Error())
		case info.LastErrorDate > seenErr:
			seenErr = info.LastErrorDate
			a.setStatus(false, "Telegram cannot deliver to the webhook: "+info.LastErrorMessage)
			a.log.Error("Telegram reports webhook delivery failing", "error", info.LastErrorMessage, "pending", info.PendingUpdateCount)
		case info.LastErrorDate == 0 || a.Status().Up:
			a.setStatus(true, "")
		}
	}
}
