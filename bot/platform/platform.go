package platform

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
	// SenderHandle is the sender's public handle without the "@" (a
	// Telegram username), when they have one. Unlike SenderName, which
	// anyone may set to anything, it names one person on the platform, so
	// "/grant @handle" can be trusted.
	SenderHandle string
	Text         string
	Time         time.Time
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
	// ReplyTo is the platform id of the message this one answers, in Chat.
	ReplyTo string
	// Replied is the message this one answers, when the platform says
	// what it was (Telegram does; a WeChat quote gives the quoted words and
	// their author's name, and ReplyTo is then derived from them; the
	// console does not): a volunteer's "/new" in reply to a plea the bot
	// missed opens its case.
	Replied *Replied

	// Media are the non-text parts (voice, photo, document…). Text then
	// holds the caption, if any.
	Media []Media
	// Location is a shared map pin.
	Location *Location
	// Contact is a shared contact card.
	Contact *Contact
	// Forward says the message was forwarded and from whom.
	Forward *Forward
	// Record holds the items of a forwarded chat record (WeChat 聊天记录),
	// oldest first.
	Record []RecordItem
	// Link is a shared web link (title and URL), when the message is one.
	Link *Link
}

// Replied is the sender and words of the message a reply answers.
type Replied struct {
	Sender     string    // person ref "platform:id"
	SenderName string    // display name
	Text       string    // text or caption
	Time       time.Time // when it was sent
}

// MediaKind says what a media item is.
type MediaKind string

// Media kinds an adapter may map.
const (
	MediaVoice    MediaKind = "voice"    // a recorded voice note
	MediaAudio    MediaKind = "audio"    // an audio file
	MediaPhoto    MediaKind = "photo"    // a picture (the largest size offered)
	MediaDocument MediaKind = "document" // any file
	MediaVideo    MediaKind = "video"
	MediaSticker  MediaKind = "sticker"
)

// Media is one non-text item of an incoming message.
type Media struct {
	Kind MediaKind `json:"kind"`
	// Ref is the platform's handle for fetching or re-sending the item
	// (a Telegram file_id, a WeChat message id); opaque to the engine.
	Ref      string        `json:"ref"`
	MIME     string        `json:"mime,omitempty"`
	Name     string        `json:"name,omitempty"` // file name, when given
	Size     int64         `json:"size,omitempty"` // bytes, when known
	Duration time.Duration `json:"duration,omitempty"`
	Width    int           `json:"width,omitempty"`
	Height   int           `json:"height,omitempty"`
}

// Location is a shared map pin.
type Location struct {
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	Title   string  `json:"title,omitempty"`   // a venue's or pin's name
	Address string  `json:"address,omitempty"` // a venue's address, when given
}

// Contact is a shared contact card.
type Contact struct {
	Phone string `json:"phone,omitempty"`
	Name  string `json:"name,omitempty"`
	// Person is the contact's person ref when the platform knows them.
	Person string `json:"person,omitempty"`
}

// Forward says where a forwarded message first came from.
type Forward struct {
	// From is the original sender's person ref when the platform shows it;
	// FromName their display name (the only thing shown for hidden users).
	From     string    `json:"from,omitempty"`
	FromName string    `json:"from_name,omitempty"`
	Chat     string    `json:"chat,omitempty"` // a channel or group it came from
	At       time.Time `json:"at,omitzero"`    // when it was first sent
}

// RecordItem is one message inside a forwarded chat record.
type RecordItem struct {
	SenderName string    `json:"sender_name,omitempty"`
	Text       string    `json:"text,omitempty"`
	At         time.Time `json:"at,omitzero"`
	Media      *Media    `json:"media,omitempty"`
}

// Link is a shared web link card.
type Link struct {
	Title string `json:"title,omitempty"`
	URL   string `json:"url,omitempty"`
	Desc  string `json:"desc,omitempty"`
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
	// Attachment, when set, sends a file or relays a media item, with Text
	// as its caption.
	Attachment *Attachment `json:"attachment,omitempty"`
	// Keyboard, when set, offers one-tap reply buttons (share my phone,
	// share my location) or removes them.
	Keyboard *ReplyKeyboard `json:"keyboard,omitempty"`
}

// Attachment is a file or media item to send. Exactly one of Path and
// CopyOf is set.
type Attachment struct {
	Kind MediaKind `json:"kind"`
	// Path is a file the bot wrote or downloaded under its data directory
	// (an export, a relayed voice note); it is read at send time.
	Path string `json:"path,omitempty"`
	// CopyOf relays an incoming message as it is, on the same platform
	// (Telegram copyMessage), without downloading it.
	CopyOf *MessageRef `json:"copy_of,omitempty"`
	Name   string      `json:"name,omitempty"` // file name shown to people
	MIME   string      `json:"mime,omitempty"`
}

// MessageRef names one message on a platform.
type MessageRef struct {
	Chat string `json:"chat"`
	ID   string `json:"id"`
}

// ReplyKeyboard asks a platform that has them for one-tap reply buttons.
// Labels are shown on the buttons; an empty label leaves that button out.
type ReplyKeyboard struct {
	SharePhone    string `json:"share_phone,omitempty"`
	ShareLocation string `json:"share_location,omitempty"`
	// Remove takes away a keyboard shown earlier.
	Remove bool `json:"remove,omitempty"`
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

// MediaFetcher is the optional capability to download an incoming media
// item (for OCR, or to relay it to another platform). It fails rather than
// return more than max bytes.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, m Media, max int64) ([]byte, error)
}

// DeepLinker is the optional capability to make a link that opens a
// private chat with the bot carrying payload (Telegram's t.me/<bot>?start=),
// which then arrives as the text "/start payload".
type DeepLinker interface {
	DeepLink(payload string) (url string, ok bool)
}

// StatusReporter is the optional capability to say whether the platform
// connection works, for health checks, metrics and admin notices.
type StatusReporter interface {
	Status() PlatformStatus
}

// PlatformStatus is a platform connection's state.
type PlatformStatus struct {
	// Up is true while the adapter is connected and receiving updates.
	Up bool
	// LastUpdate is when the adapter last received anything from the
	// platform (an update, or an empty poll that succeeded).
	LastUpdate time.Time
	// Detail says why it is down, in a few words.
	Detail string
	// LoginURL is set while a person must scan a QR code to log in (WeChat):
	// the content to encode in the code.
	LoginURL string
}

// MenuSetter is the optional capability to show each kind of chat its own
// command menu (Telegram command scopes), so the volunteers' commands are
// not advertised in public groups.
type MenuSetter interface {
	SetMenus(ctx context.Context, menus Menus) error
}

// Menus are the command menus per kind of chat. Chats maps a chat ref to
// its own menu (the coordination chats); a nil list shows no menu.
type Menus struct {
	Private []MenuItem
	Groups  []MenuItem
	Chats   map[string][]MenuItem
}

// MenuItem is one command in a menu: the command without its slash, and a
// short description.
type MenuItem struct {
	Command     string
	Description string
}

// BatchHandler is the optional, faster way to hand over messages that
// arrived together (a getUpdates page, a WeChat sync, console lines): they
// are recorded in one transaction, with State written in it too (the
// adapter's update offset), so a batch costs one commit. It returns once all
// of them are durably recorded.
type BatchHandler interface {
	HandleBatch(ctx context.Context, b Batch) error
}

// Batch is messages that arrived together, oldest first, plus adapter
// state to commit with them.
type Batch struct {
	Messages []Message
	State    []StateWrite
}

// StateWrite is one key of an adapter's durable state.
type StateWrite struct {
	Key   string
	Value []byte
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

// ErrHistoryVisible is wrapped by OpenRoom when the platform refused to use
// a room (a pool group) because new members could read its earlier
// messages: the next case's asker would see the last one's address.
var ErrHistoryVisible = errors.New("room would show its history to new members")

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
