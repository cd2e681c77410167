package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message is one incoming update from any platform, already mapped to
// platform-neutral form by its adapter.
type Message struct {
	// Chat is the chat ref "platform:id" ("telegram:-100123", "wechat:浦东互助1群",
	// "console:intake"). For a private chat it is the chat with that person.
	Chat string
	// Private is true for a one-to-one chat between a person and the bot.
	Private bool
	// ChatName is the chat's display title, when the platform gives one.
	ChatName string
	// ID is the platform message id, unique within Chat. Together with Chat
	// it makes ingestion idempotent. Edits carry the id of the edited message.
	ID string
	// Sender is the person ref "platform:id"; SenderName their display name.
	Sender     string
	SenderName string
	Text       string
	Time       time.Time
	// Edited is set when this is an edit of an earlier message (same ID).
	Edited bool
	// Thread is the platform thread or topic inside Chat ("" for none).
	Thread string
	// Mentioned is set when the bot was @mentioned.
	Mentioned bool
	// Callback is set when a person pressed a button instead of typing.
	Callback *Callback
	// Kind is KindText for ordinary messages; the others are membership
	// events the adapter observed.
	Kind MessageKind
	// NewChat is the chat's new ref for KindMigrated (a Telegram group
	// upgraded to a supergroup).
	NewChat string
}

// MessageKind tells ordinary messages from membership events.
type MessageKind int

// Message kinds.
const (
	KindText     MessageKind = iota
	KindJoined               // the bot was added to Chat
	KindLeft                 // the bot was removed from Chat: mark it inactive
	KindMigrated             // Chat moved to NewChat
)

// Platform returns the platform prefix of the chat ref.
func (m Message) Platform() string { return PlatformOf(m.Chat) }

// Callback is a button press on a message the bot sent.
type Callback struct {
	ID        string // platform callback id, to acknowledge
	Data      string // the Button.Data of the pressed button
	MessageID string // the bot message that carried the button
}

// Button is an inline action under a message. Data is a short command line
// the engine understands ("/claim 42"), so a button is checked exactly like
// the command it stands for.
type Button struct {
	Label string
	Data  string
}

// OutMessage is what the engine asks a platform to deliver. Text is plain
// text: adapters that use a parse mode must escape it.
type OutMessage struct {
	Chat    string     `json:"chat"`
	Thread  string     `json:"thread,omitempty"`
	Text    string     `json:"text"`
	Buttons [][]Button `json:"buttons,omitempty"`
	// EditOf, when set, replaces the text of an earlier bot message.
	EditOf string `json:"edit_of,omitempty"`
	// CallbackID, when set, acknowledges that button press (Callback.ID);
	// Answer is the short toast shown to the person who pressed it. A
	// message with only these two fields sends nothing to the chat.
	CallbackID string `json:"callback_id,omitempty"`
	Answer     string `json:"answer,omitempty"`
}

// Sender delivers one message. It returns the platform id of the sent
// message. Errors should be classified with RetryAfter or Permanent so the
// outbox knows what to do; any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m OutMessage) (msgID string, err error)
}

// Platform is what the engine needs from a chat platform.
type Platform interface {
	Sender
	// Name is the prefix of the platform's chat refs ("telegram").
	Name() string
	// Limits says how fast the outbox may send to this platform.
	Limits() Limits
}

// Limits are a platform's send rates. Zero means unlimited.
type Limits struct {
	Global       Rate // across all chats
	PerGroup     Rate // per group chat
	PerPrivate   Rate // per private chat
	MaxTextRunes int  // split longer texts; 0 means no limit
	// NoEdits says the platform can't edit a sent message, so the engine
	// skips in-place card refreshes instead of reposting whole cards.
	NoEdits bool
}

// Rate is N messages per period.
type Rate struct {
	N      int
	Period time.Duration
}

// RoomOpener is the optional capability to open a rescue room for a case.
// Platforms without it get the engine's fallback: a thread in the
// coordination chat.
type RoomOpener interface {
	OpenRoom(ctx context.Context, req RoomRequest) (Room, error)
	CloseRoom(ctx context.Context, room Room, closingNote string) error
}

// RoomRequest asks for a room for one case.
type RoomRequest struct {
	Case         int64
	Title        string   // "#42 透析 浦东"
	Coordination string   // chat ref of the coordination chat on this platform
	Members      []string // person refs on this platform: asker and assignees
}

// Room is a rescue room a platform opened.
type Room struct {
	Chat   string // chat ref where room messages go
	Thread string // topic or thread inside Chat, if any
	// Bridged is set when the asker is not a member of Chat (a forum topic):
	// the engine then relays between the asker's private chat and the room.
	Bridged bool
	// Invites are per-person links or notes the engine should deliver
	// privately (person ref → text), for platforms that cannot add members.
	Invites map[string]string
}

// MemberAdder is the optional capability to add a person to an open room.
type MemberAdder interface {
	AddToRoom(ctx context.Context, room Room, person string) (invite string, err error)
}

// Handler receives incoming messages. HandleMessage returns once the
// message has been durably recorded (so an adapter may then acknowledge it
// to its platform); an error means it was not, and should be redelivered.
type Handler interface {
	HandleMessage(ctx context.Context, m Message) error
}

// RetryAfterError says the platform asked us to wait (HTTP 429).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// ErrPermanent marks a send that will never succeed (bot kicked from the
// chat, blocked by the person, chat deleted). Wrap it: fmt.Errorf("…: %w", ErrPermanent).
var ErrPermanent = errors.New("permanent delivery failure")

// Permanent wraps err as a permanent failure of this one message (a bad
// edit, a refused button); the chat itself stays in use.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// ErrUnreachable marks a chat or person the bot can no longer reach at all
// (kicked from the group, blocked by the person, chat deleted). It is also
// an ErrPermanent. The engine stops sending to that chat.
var ErrUnreachable = fmt.Errorf("chat unreachable: %w", ErrPermanent)

// Unreachable wraps err as a chat the bot can no longer reach.
func Unreachable(err error) error { return fmt.Errorf("%w: %w", ErrUnreachable, err) }

// PlatformOf returns the platform prefix of a ref "platform:id".
func PlatformOf(ref string) string {
	p, _, _ := strings.Cut(ref, ":")
	return p
}

// LocalID returns the part of a ref after "platform:".
func LocalID(ref string) string {
	_, id, ok := strings.Cut(ref, ":")
	if !ok {
		return ref
	}
	return id
}
