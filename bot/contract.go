package bot

import "github.com/lifeline-aid/lifeline/bot/platform"

// The platform contract lives in package platform; these aliases keep the
// adapters and cmd, which know it as bot.Message, bot.Platform and so on,
// compiling unchanged.

// Incoming messages.
type (
	Message     = platform.Message
	MessageKind = platform.MessageKind
	MediaKind   = platform.MediaKind
	Media       = platform.Media
	Location    = platform.Location
	Contact     = platform.Contact
	Forward     = platform.Forward
	RecordItem  = platform.RecordItem
	Replied     = platform.Replied
	Link        = platform.Link
	Callback    = platform.Callback
	Batch       = platform.Batch
	StateWrite  = platform.StateWrite
	Handler     = platform.Handler
	// BatchHandler is the optional way to hand over messages that arrived
	// together.
	BatchHandler = platform.BatchHandler
)

// Message kinds.
const (
	KindText     = platform.KindText
	KindJoined   = platform.KindJoined
	KindLeft     = platform.KindLeft
	KindMigrated = platform.KindMigrated
)

// Media kinds.
const (
	MediaVoice    = platform.MediaVoice
	MediaAudio    = platform.MediaAudio
	MediaPhoto    = platform.MediaPhoto
	MediaDocument = platform.MediaDocument
	MediaVideo    = platform.MediaVideo
	MediaSticker  = platform.MediaSticker
)

// Outgoing messages.
type (
	OutMessage    = platform.OutMessage
	Button        = platform.Button
	Attachment    = platform.Attachment
	MessageRef    = platform.MessageRef
	ReplyKeyboard = platform.ReplyKeyboard
)

// Platforms and their optional capabilities.
type (
	Sender         = platform.Sender
	Platform       = platform.Platform
	Limits         = platform.Limits
	Rate           = platform.Rate
	RoomOpener     = platform.RoomOpener
	RoomRequest    = platform.RoomRequest
	Room           = platform.Room
	MemberAdder    = platform.MemberAdder
	MediaFetcher   = platform.MediaFetcher
	DeepLinker     = platform.DeepLinker
	StatusReporter = platform.StatusReporter
	PlatformStatus = platform.PlatformStatus
	MenuSetter     = platform.MenuSetter
	Menus          = platform.Menus
	MenuItem       = platform.MenuItem
)

// Delivery errors.
type RetryAfterError = platform.RetryAfterError

var (
	// ErrPermanent marks a send that will never succeed.
	ErrPermanent = platform.ErrPermanent
	// ErrUnreachable marks a chat the bot can no longer reach at all.
	ErrUnreachable = platform.ErrUnreachable
	// ErrHistoryVisible marks a room refused because new members could
	// read its earlier messages.
	ErrHistoryVisible = platform.ErrHistoryVisible
)

// Permanent wraps err as a permanent failure of one message.
func Permanent(err error) error { return platform.Permanent(err) }

// Unreachable wraps err as a chat the bot can no longer reach.
func Unreachable(err error) error { return platform.Unreachable(err) }

// PlatformOf returns the platform prefix of a ref "platform:id".
func PlatformOf(ref string) string { return platform.PlatformOf(ref) }

// LocalID returns the part of a ref after "platform:".
func LocalID(ref string) string { return platform.LocalID(ref) }
