package store

import (
	"errors"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// Status is a case's place in its life cycle.
type Status string

// Case statuses: new → verifying → verified → in_progress → resolved, and
// closed (with a reason) from any open state.
const (
	StatusNew        Status = "new"
	StatusVerifying  Status = "verifying"
	StatusVerified   Status = "verified"
	StatusInProgress Status = "in_progress"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
)

// Open reports whether a case in this status still needs work.
func (s Status) Open() bool { return s != StatusResolved && s != StatusClosed }

// Stale reports whether c is open and nobody updated it for longer than
// after, as of now: the same test the stale index (StaleCases) answers.
func (c *Case) Stale(now time.Time, after time.Duration) bool {
	return c.Status.Open() && c.Updated.Before(now.Add(-after))
}

// MessageKey identifies one incoming platform message; ingestion records it
// before anything else so a redelivered update changes nothing.
type MessageKey struct {
	Chat string // "platform:chat-id"
	ID   string // platform message id, unique within the chat
}

// SourceKind says how a message came to be part of a case.
type SourceKind string

// Source kinds.
const (
	SourceFirst  SourceKind = "first"  // the message that opened the case
	SourceRepost SourceKind = "repost" // someone else's copy merged in
	SourceUpdate SourceKind = "update" // the asker wrote again about the same plea
	SourceEdit   SourceKind = "edit"   // a new version of a message already in the case
)

// Source is one message that contributed to a case: the first plea, every
// repost and update merged in, and every edit. Sources live in their own
// bucket under (case id, sequence), so a case reposted thousands of times
// costs no more to update than a new one; read them with Tx.Sources.
type Source struct {
	Case       int64      `json:"case,omitempty"`
	Seq        uint64     `json:"seq,omitempty"` // 1 for the first, in the order added
	Kind       SourceKind `json:"kind,omitempty"`
	Chat       string     `json:"chat"`
	Msg        string     `json:"msg"`
	Sender     string     `json:"sender,omitempty"`
	SenderName string     `json:"sender_name,omitempty"`
	At         time.Time  `json:"at"`
	Text       string     `json:"text,omitempty"`
	// From and To are the urgency before and after, when this message
	// raised it.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// MovedFrom is the case this source was first recorded on, when a
	// coordinator merged that case into this one.
	MovedFrom int64 `json:"moved_from,omitempty"`
}

// CaseLink records that two open cases looked alike (the same contact, a
// similar text) but were not merged. Both cases carry it.
type CaseLink struct {
	Case   int64     `json:"case"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Case is one tracked request.
type Case struct {
	ID          int64             `json:"id"`                   // short human number, "#42"
	Asker       string            `json:"asker,omitempty"`      // person ref "platform:id"
	AskerName   string            `json:"asker_name,omitempty"` // display name when seen
	SourceChat  string            `json:"source_chat,omitempty"`
	SourceMsg   string            `json:"source_msg,omitempty"`
	Text        string            `json:"text"`
	Assessment  triage.Assessment `json:"assessment"`
	Category    triage.Category   `json:"category"`
	Urgency     triage.Urgency    `json:"urgency"`
	Status      Status            `json:"status"`
	CloseReason string            `json:"close_reason,omitempty"`
	Assignees   []string          `json:"assignees,omitempty"` // person refs
	Room        string            `json:"room,omitempty"`      // chat ref of the rescue room
	MergedInto  int64             `json:"merged_into,omitempty"`
	Phones      []string          `json:"phones,omitempty"`
	Address     string            `json:"address,omitempty"`
	Language    string            `json:"language,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
	// FirstResponse is when a volunteer first acted (claim, verify, note...).
	FirstResponse time.Time `json:"first_response,omitzero"`
	// Finished is when the case was resolved or closed.
	Finished time.Time `json:"finished,omitzero"`
	// Purged is set once retention removed the personal fields.
	Purged bool `json:"purged,omitempty"`

	// Location is a map pin shared for the case (personal data: shown
	// where the address is).
	Location *GeoPoint `json:"location,omitempty"`
	// Media are the voice notes, photos and files that are part of the
	// case, oldest first.
	Media []CaseMedia `json:"media,omitempty"`
	// RelayedBy names who forwarded the plea when AskerName is its
	// original sender; Asker is then the relayer, the one the bot talks to.
	RelayedBy string `json:"relayed_by,omitempty"`
	// UrgencyUnknown is set for a case whose words the bot could not read
	// (a voice message, a photo): Urgency is then the alerting level, until
	// a volunteer sets it.
	UrgencyUnknown bool `json:"urgency_unknown,omitempty"`

	// Override is a coordinator's last change of the urgency, which the
	// card shows next to the triage's reasons.
	Override *Override `json:"override,omitempty"`

	// The fields below are kept by the store: PutCase ignores changes to
	// them (it keeps what is stored), so a case read before an ingest
	// merged into it cannot wind them back.

	// SourceCount is how many source records the case has (Tx.Sources).
	SourceCount int `json:"source_count,omitempty"`
	// Latest is the newest source, its text cut to MaxLatestRunes: what
	// the card shows as the latest addition.
	Latest *Source `json:"latest,omitempty"`
	// Links are the cases this one was linked to, newest last, at most
	// MaxLinks (older ones drop off the record; their events remain).
	Links []CaseLink `json:"links,omitempty"`
}

// Override is a person's change of a case's urgency, with their reason.
type Override struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// MaxCaseMedia bounds Case.Media; later items are still relayed and
// recorded as events.
const MaxCaseMedia = 32

// GeoPoint is a position on the map.
type GeoPoint struct {
	Lat   float64   `json:"lat"`
	Lon   float64   `json:"lon"`
	Title string    `json:"title,omitempty"` // the place's name or address, as shared
	At    time.Time `json:"at,omitzero"`
}

// CaseMedia is one voice note, photo or file of a case: where it was sent
// and the platform's handle to fetch it again.
type CaseMedia struct {
	Kind     string        `json:"kind"` // voice, audio, photo, document, video
	Chat     string        `json:"chat"`
	Msg      string        `json:"msg"`
	Ref      string        `json:"ref,omitempty"`
	MIME     string        `json:"mime,omitempty"`
	Name     string        `json:"name,omitempty"`
	Size     int64         `json:"size,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	// OCR is set once text recognised in the image was added to the case.
	OCR bool      `json:"ocr,omitempty"`
	At  time.Time `json:"at,omitzero"`
}

// Bounds that keep a case record's size constant however often the case
// is reposted or linked.
const (
	MaxLatestRunes = 280 // Case.Latest.Text
	MaxLinks       = 16  // Case.Links
	MaxCasePhones  = 16  // phones merged into Case.Phones; later ones stay in the sources' text
)

// Event is one append-only audit record: who did what to which case, when.
type Event struct {
	ID    uint64    `json:"id"`
	Case  int64     `json:"case"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"` // person ref, or "lifeline" for the bot itself
	Kind  string    `json:"kind"`  // created, merged, status, note, assign, urgency, room, broadcast, delivery_failed, message...
	From  string    `json:"from,omitempty"`
	To    string    `json:"to,omitempty"`
	Note  string    `json:"note,omitempty"`
}

// Person is a platform identity and what it may do.
type Person struct {
	Ref         string    `json:"ref"` // "platform:id"
	Name        string    `json:"name,omitempty"`
	Roles       []string  `json:"roles,omitempty"` // admin, coordinator, volunteer
	Skills      []string  `json:"skills,omitempty"`
	OnDuty      bool      `json:"on_duty,omitempty"`
	Language    string    `json:"language,omitempty"`
	Unreachable bool      `json:"unreachable,omitempty"` // blocked the bot
	PrivacyTold bool      `json:"privacy_told,omitempty"`
	Aliases     []string  `json:"aliases,omitempty"` // the same human on other platforms
	Updated     time.Time `json:"updated"`
}

// ChatRole is what the bot does in a chat.
type ChatRole string

// Chat roles from the design.
const (
	RoleIntake       ChatRole = "intake"
	RoleCoordination ChatRole = "coordination"
	RoleBroadcast    ChatRole = "broadcast"
	RoleRoom         ChatRole = "room"
	RolePrivate      ChatRole = "private"
)

// Chat is a platform chat the bot knows about.
type Chat struct {
	Ref      string    `json:"ref"` // "platform:id"
	Role     ChatRole  `json:"role"`
	Name     string    `json:"name,omitempty"`
	Language string    `json:"language,omitempty"`
	Active   bool      `json:"active"`         // false once the bot was removed
	Case     int64     `json:"case,omitempty"` // for rooms
	Updated  time.Time `json:"updated"`
}

// DirEntry is one place or person in the channels directory.
type DirEntry struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Category string    `json:"category"`
	District string    `json:"district,omitempty"`
	Phone    string    `json:"phone,omitempty"`
	Hours    string    `json:"hours,omitempty"`
	Status   string    `json:"status,omitempty"`
	Notes    string    `json:"notes,omitempty"`
	Updated  time.Time `json:"updated"`
}

// OutboxItem is one message waiting to reach a chat. Payload is opaque to
// the store (the engine encodes its outgoing message there).
type OutboxItem struct {
	ID        uint64    `json:"id"`
	Chat      string    `json:"chat"` // destination chat ref
	Kind      string    `json:"kind"` // alert, reply, broadcast, digest...
	Case      int64     `json:"case,omitempty"`
	Payload   []byte    `json:"payload"`
	DedupeKey string    `json:"dedupe_key,omitempty"`
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at"`
	Created   time.Time `json:"created"`
	LastError string    `json:"last_error,omitempty"`
	// Priority is the item's lane; zero takes the lane of its Kind (see
	// Priority). Items in a higher lane are always due first.
	Priority Priority `json:"priority,omitempty"`
}

// Priority is an outbox lane. Due returns every due item of a lane before
// any of the next, whatever the queue length.
type Priority uint8

// Outbox lanes, most urgent first.
const (
	// PriorityAuto takes the lane of the item's Kind: "alert…" and
	// "escalation…" kinds go in the alert lane; "digest", "broadcast" and
	// "notice" in the bulk lane; everything else in the reply lane.
	PriorityAuto Priority = iota
	// PriorityAlert is for alerts and the answers that tell an asker what
	// happened to their plea.
	PriorityAlert
	// PriorityReply is for replies to commands and conversations.
	PriorityReply
	// PriorityBulk is for digests, notices and broadcasts.
	PriorityBulk
)

// lanes lists the stored lanes in the order they are served.
var lanes = []Priority{PriorityAlert, PriorityReply, PriorityBulk}

// laneOf is the lane an item is stored in.
func laneOf(it *OutboxItem) Priority {
	if it.Priority >= PriorityAlert && it.Priority <= PriorityBulk {
		return it.Priority
	}
	k := it.Kind
	switch {
	case strings.HasPrefix(k, "alert"), strings.HasPrefix(k, "escalation"):
		return PriorityAlert
	case k == "digest", k == "broadcast", k == "notice":
		return PriorityBulk
	}
	return PriorityReply
}

// Lane is the lane the item is (or will be) stored in: its Priority, or
// the lane of its Kind when that is PriorityAuto.
func (it *OutboxItem) Lane() Priority { return laneOf(it) }

// String names the lane.
func (p Priority) String() string {
	switch p {
	case PriorityAlert:
		return "alert"
	case PriorityReply:
		return "reply"
	case PriorityBulk:
		return "bulk"
	}
	return "auto"
}
