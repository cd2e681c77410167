package wechat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"

	"github.com/lifeline-aid/lifeline/bot"
)

// retTooOften is WeChat's "operating too often" answer.
const retTooOften = 1205

// Send delivers a text, and any attachment after it, to a group ("wechat:<group name>") or a friend
// ("wechat:LL-0007"). Every send goes through one queue: a random pause of
// MinGap–MaxGap between messages, at most HourlyCap an hour (beyond it a
// *bot.RetryAfterError), and a growing pause after "operating too often".
// Texts longer than 2,000 runes go out in parts split at line ends; the id
// returned is the first part's. WeChat cannot edit messages or show buttons:
// an edit is sent as a new message and buttons become reply hints.
func (a *Adapter) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	if bot.PlatformOf(m.Chat) != platformName {
		return "", bot.Permanent(fmt.Errorf("wechat: chat %q is not a wechat chat", m.Chat))
	}
	text := render(m)
	if strings.TrimSpace(text) == "" && m.Attachment == nil {
		// A bare button acknowledgement (Answer only): WeChat has no
		// buttons, so there is nothing to show.
		return "", nil
	}
	var parts []string
	if strings.TrimSpace(text) != "" {
		parts = splitText(text, maxTextRunes)
	}
	ops := len(parts)
	if m.Attachment != nil {
		ops++
	}

	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer a.release()

	sess := a.session()
	if sess == nil {
		return "", fmt.Errorf("wechat: send to %s: %w", m.Chat, ErrNotLoggedIn)
	}
	to, err := a.resolveChat(ctx, sess, m.Chat)
	if err != nil {
		return "", err
	}
	if err := a.admit(ops); err != nil {
		return "", err
	}
	var first string
	for i, part := range parts {
		if err := a.pace(ctx); err != nil {
			return "", err
		}
		id, err := a.sendText(ctx, sess, to, part)
		a.sent(err == nil)
		if err != nil {
			if i > 0 {
				err = fmt.Errorf("after %d of %d parts: %w", i, len(parts), err)
			}
			return "", fmt.Errorf("wechat: send to %s: %w", m.Chat, err)
		}
		if i == 0 {
			first = id
		}
	}
	if m.Attachment != nil {
		// WeChat media have no caption: the text went first, the file
		// follows it, paced like any message.
		if err := a.pace(ctx); err != nil {
			return "", err
		}
		id, err := a.sendAttachment(ctx, sess, to, m.Attachment)
		a.sent(err == nil)
		if err != nil {
			return "", fmt.Errorf("wechat: send attachment to %s: %w", m.Chat, err)
		}
		if first == "" {
			first = id
		}
	}
	return first, nil
}

// acquire takes the send queue, giving up when ctx ends.
func (a *Adapter) acquire(ctx context.Context) error {
	select {
	case a.sendSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wechat: waiting for the send queue: %w", ctx.Err())
	}
}

func (a *Adapter) release() { <-a.sendSem }

// admit checks the hourly cap and any "too often" pause for n messages.
// Called with the send queue held.
func (a *Adapter) admit(n int) error {
	now := time.Now()
	if now.Before(a.pausedUntil) {
		return &bot.RetryAfterError{After: a.pausedUntil.Sub(now),
			Err: errors.New("wechat: pausing after WeChat said operating too often")}
	}
	cut := 0
	for cut < len(a.sendTimes) && now.Sub(a.sendTimes[cut]) >= time.Hour {
		cut++
	}
	a.sendTimes = a.sendTimes[cut:]
	limit := a.opts.HourlyCap
	n = min(n, limit)
	if over := len(a.sendTimes) + n - limit; over > 0 {
		free := a.sendTimes[over-1].Add(time.Hour)
		return &bot.RetryAfterError{After: free.Sub(now),
			Err: fmt.Errorf("wechat: hourly cap of %d messages reached", limit)}
	}
	return nil
}

// pace waits out the gap since the last send. Called with the queue held.
func (a *Adapter) pace(ctx context.Context) error {
	if d := time.Until(a.nextSend); d > 0 {
		if !sleep(ctx, d) {
			return fmt.Errorf("wechat: waiting to send: %w", ctx.Err())
		}
	}
	return nil
}

// sent records one attempt and picks the gap before the next one.
func (a *Adapter) sent(ok bool) {
	now := time.Now()
	gap := a.opts.MinGap
	if span := a.opts.MaxGap - a.opts.MinGap; span > 0 {
		gap += rand.N(span + 1)
	}
	a.nextSend = now.Add(gap)
	if ok {
		a.sendTimes = append(a.sendTimes, now)
		a.tooOften = 0
	}
}

// sendText calls WeChat with the caller's ctx (the library's own helpers
// would use the client's context and ignore ours).
func (a *Adapter) sendText(ctx context.Context, sess *session, to, text string) (string, error) {
	msg := openwechat.NewTextSendMessage(text, sess.self, to)
	sent, err := sess.bot.Caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{
		LoginInfo: sess.info, BaseRequest: sess.req, Message: msg,
	})
	if err != nil {
		return "", a.classify(sess, redact(err))
	}
	return sent.MsgId, nil
}

// classify turns WeChat's answers into errors the outbox understands.
// Called with the send queue held.
func (a *Adapter) classify(sess *session, err error) error {
	var ret openwechat.Ret
	if !errors.As(err, &ret) {
		return err
	}
	switch {
	case int(ret) == retTooOften:
		a.tooOften++
		d := a.tooOftenBase << min(a.tooOften-1, 5)
		d = min(d, 30*time.Minute)
		a.pausedUntil = time.Now().Add(d)
		a.log.Warn("wechat: WeChat says operating too often; pausing sends", "for", d)
		return &bot.RetryAfterError{After: d, Err: fmt.Errorf("operating too often (ret %d): %w", int(ret), err)}
	case sessionExpired(ret):
		sess.kill(fmt.Errorf("session expired while sending (ret %d): %w", int(ret), err))
		return fmt.Errorf("session expired (ret %d), will send after logging in again: %w", int(ret), err)
	}
	return fmt.Errorf("wechat answered ret %d: %w", int(ret), err)
}

// resolveChat finds the user name behind a chat ref in this session,
// reloading the contact list once when the ref is unknown.
func (a *Adapter) resolveChat(ctx context.Context, sess *session, chat string) (string, error) {
	id := bot.LocalID(chat)
	if id == "" {
		return "", bot.Permanent(fmt.Errorf("wechat: empty chat ref %q", chat))
	}
	if strings.Contains(id, "/") {
		return "", bot.Permanent(fmt.Errorf("wechat: %q is a group member who is not the bot's friend; WeChat web cannot message them privately", chat))
	}
	lookup := func() (string, bool) {
		if isPersonID(id) {
			return sess.dir.friend(id)
		}
		return sess.dir.group(id)
	}
	if u, ok := lookup(); ok {
		return u, nil
	}
	if isPersonID(id) {
		if u, ok := a.friendByNick(ctx, sess, id); ok {
			return u, nil
		}
	}
	// The group may have been saved to contacts since login; reload the
	// list, but not more than once a minute.
	if sess.mayRefresh(time.Minute) {
		if err := a.refreshContacts(ctx, sess); err != nil {
			return "", fmt.Errorf("wechat: look up %s: %w", chat, err)
		}
		if u, ok := lookup(); ok {
			return u, nil
		}
	}
	if isPersonID(id) {
		return "", bot.Permanent(fmt.Errorf("wechat: no friend of the bot has id %s", id))
	}
	return "", bot.Permanent(fmt.Errorf("wechat: no group named %q; save the group to the bot account's contacts, and check it was not renamed", id))
}

// friendByNick finds a friend by the nickname kept for id, for when WeChat
// did not keep the remark name.
func (a *Adapter) friendByNick(ctx context.Context, sess *session, id string) (string, bool) {
	nick, err := a.state.GetState(ctx, keyByID+id)
	if err != nil || len(nick) == 0 {
		return "", false
	}
	sess.dir.mu.Lock()
	defer sess.dir.mu.Unlock()
	for _, c := range sess.dir.byUser {
		if !c.group && c.nick == string(nick) {
			if _, taken := remarkID(c.remark); taken {
				continue
			}
			sess.dir.friends[id] = c.userName
			return c.userName, true
		}
	}
	return "", false
}

// render turns an OutMessage into WeChat text: buttons become reply hints.
func render(m bot.OutMessage) string {
	text := m.Text
	var hints []string
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Data == "" {
				continue
			}
			hints = append(hints, fmt.Sprintf("%s: %s", b.Label, b.Data))
		}
	}
	if len(hints) > 0 {
		text = strings.TrimRight(text, "\n") + "\n\n" + strings.Join(hints, "\n")
	}
	return text
}

// splitText cuts text into parts of at most max runes, at line ends where
// possible, otherwise inside an over-long line.
func splitText(text string, max int) []string {
	if utf8.RuneCountInString(text) <= max {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			n = 0
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		ln := utf8.RuneCountInString(line)
		if n+ln > max {
			flush()
		}
		for ln > max {
			r := []rune(line)
			parts = append(parts, string(r[:max]))
			line = string(r[max:])
			ln -= max
		}
		cur.WriteString(line)
		n += ln
	}
	flush()
	return parts
}
