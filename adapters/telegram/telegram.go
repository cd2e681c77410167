// Package telegram connects Lifeline to Telegram through the Bot API
// (github.com/go-telegram/bot): it turns updates into bot.Message values,
// delivers the engine's messages with HTML escaping, splitting and error
// classification, publishes the command menu, and opens rescue rooms as
// forum topics or as groups taken from a pre-created pool.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/bot"
)

// Name is the platform prefix of Telegram chat and person refs.
const Name = "telegram"

// DefaultAPIURL is the public Bot API.
const DefaultAPIURL = "https://api.telegram.org"

// Modes and room kinds accepted in Options.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"

	RoomsTopics = "topics"
	RoomsPool   = "pool"
	RoomsNone   = "none"
)

// Sentinel errors.
var (
	// ErrNoFreeRoom means every pool group holds a case; the engine falls
	// back to a thread in the coordination chat.
	ErrNoFreeRoom = errors.New("no free room group in the pool")
	// ErrRoomsDisabled is returned by OpenRoom with rooms: none.
	ErrRoomsDisabled = errors.New("rooms are disabled for telegram")
)

// StateStore keeps the adapter's small durable state: the last handled
// update id and which pool group holds which case. GetState returns
// nil, nil for an absent key. The bbolt store implements it.
type StateStore interface {
	GetState(ctx context.Context, key string) ([]byte, error)
	PutState(ctx context.Context, key string, val []byte) error
}

// Options configure an Adapter.
type Options struct {
	Token string
	// APIURL is the Bot API base URL; empty means DefaultAPIURL. Set it for
	// a self-hosted Bot API server.
	APIURL string
	// Mode is ModePolling (default) or ModeWebhook.
	Mode string
	// WebhookListen is the local address the webhook server listens on,
	// WebhookURL the public URL Telegram posts to, WebhookSecret the secret
	// token Telegram must send in X-Telegram-Bot-Api-Secret-Token.
	WebhookListen, WebhookURL, WebhookSecret string
	// Rooms is RoomsTopics (default), RoomsPool or RoomsNone.
	Rooms string
	// Pool lists pre-created group ids (the bot is admin) for pool rooms.
	Pool []int64
	// State persists the update offset and the pool; nil keeps them in
	// memory only, which loses the offset on restart.
	State  StateStore
	Logger *slog.Logger
	// HTTPClient is used for every Bot API call; its timeout must exceed
	// PollTimeout. Nil means a client with PollTimeout + 15s.
	HTTPClient *http.Client
	// PollTimeout is the getUpdates long-poll duration (default 50s).
	PollTimeout time.Duration
	// CallbackAnswerDelay is how long the adapter waits for the engine to
	// answer a button press with a toast (OutMessage.CallbackID and Answer)
	// before it acknowledges the press itself. Default 2s.
	CallbackAnswerDelay time.Duration
	// SkipCommands skips publishing the command menu on Run.
	SkipCommands bool
	// PoisonAttempts is how often one update may fail before the updates
	// after it are tried (default 20, a few minutes of backoff); see poll.
	PoisonAttempts int
	// RateLimits replaces Telegram's documented limits in Limits when not
	// zero: for bots with raised limits (paid broadcasts), or tests.
	RateLimits bot.Limits
	// MenuChats are the chats (refs) that get the volunteers' command menu
	// when Run publishes the built-in menus: the coordination chats. Other
	// groups get no menu, so public groups never see the volunteers'
	// commands. The engine can replace all menus with SetMenus.
	MenuChats []string
	// OnNotice, when set, receives advice for admins that is not an answer
	// to any message: a pool group skipped because new members could read
	// its history. The cmd wires it to the engine's admin notices.
	OnNotice func(ctx context.Context, text string)
}

// Adapter is the Telegram platform. It is safe for concurrent use.
type Adapter struct {
	opts   Options
	api    *tgbot.Bot
	client *http.Client
	apiURL string
	me     models.User
	log    *slog.Logger
	state  StateStore

	// handleMu serialises update handling, so an asker's messages reach the
	// engine in order, and guards last.
	handleMu   sync.Mutex
	last       int64 // last handled update id
	membership map[string]membershipSeen

	roomsMu sync.Mutex // guards the pool state read-modify-write

	partMu  sync.Mutex
	partial map[[32]byte]partial // half-sent long messages

	liveMu sync.Mutex
	live   map[string]time.Time // live locations last handed over

	statusMu sync.Mutex
	status   bot.PlatformStatus

	noticeMu sync.Mutex
	noticed  map[int64]time.Time // pool groups reported unsafe

	menuMu     sync.Mutex
	menusSetBy string // "" until a menu was published; "engine" after SetMenus

	cbMu    sync.Mutex
	runCtx  context.Context        // Run's context, for self-acknowledgements
	pending map[string]*time.Timer // callback id → self-acknowledgement timer
	done    map[string]time.Time   // callbacks already answered
}

var (
	_ bot.Platform       = (*Adapter)(nil)
	_ bot.RoomOpener     = (*Adapter)(nil)
	_ bot.MemberAdder    = (*Adapter)(nil)
	_ bot.MediaFetcher   = (*Adapter)(nil)
	_ bot.DeepLinker     = (*Adapter)(nil)
	_ bot.StatusReporter = (*Adapter)(nil)
	_ bot.MenuSetter     = (*Adapter)(nil)
)

// New checks the token with getMe and returns an adapter. A bad token or
// an unreachable API fails here, with the token masked in the error.
func New(ctx context.Context, opts Options) (*Adapter, error) {
	if strings.TrimSpace(opts.Token) == "" {
		return nil, errors.New("telegram: missing token in platforms.telegram")
	}
	if opts.APIURL == "" {
		opts.APIURL = DefaultAPIURL
	}
	opts.APIURL = strings.TrimRight(opts.APIURL, "/")
	if _, err := url.Parse(opts.APIURL); err != nil {
		return nil, fmt.Errorf("telegram: bad api_url: %w", err)
	}
	switch opts.Mode {
	case "":
		opts.Mode = ModePolling
	case ModePolling:
	case ModeWebhook:
		if opts.WebhookListen == "" || opts.WebhookURL == "" {
			return nil, errors.New("telegram: webhook mode needs webhook listen address and url")
		}
		// Without the secret anyone who finds the URL could post pleas and
		// button presses in other people's names.
		if !validSecret(opts.WebhookSecret) {
			return nil, errors.New("telegram: webhook mode needs a webhook secret of 1-256 characters A-Z a-z 0-9 _ -")
		}
	default:
		return nil, fmt.Errorf("telegram: unknown mode %q (want polling or webhook)", opts.Mode)
	}
	switch opts.Rooms {
	case "":
		opts.Rooms = RoomsTopics
	case RoomsTopics, RoomsNone:
	case RoomsPool:
		if len(opts.Pool) == 0 {
			return nil, errors.New("telegram: rooms: pool needs at least one group id in pool")
		}
	default:
		return nil, fmt.Errorf("telegram: unknown rooms %q (want topics, pool or none)", opts.Rooms)
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 50 * time.Second
	}
	if opts.PoisonAttempts <= 0 {
		opts.PoisonAttempts = 20
	}
	if opts.CallbackAnswerDelay <= 0 {
		opts.CallbackAnswerDelay = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: opts.PollTimeout + 15*time.Second}
	}
	a := &Adapter{
		opts:       opts,
		client:     client,
		apiURL:     opts.APIURL,
		log:        opts.Logger,
		state:      opts.State,
		pending:    map[string]*time.Timer{},
		membership: map[string]membershipSeen{},
		partial:    map[[32]byte]partial{},
		done:       map[string]time.Time{},
		live:       map[string]time.Time{},
		noticed:    map[int64]time.Time{},
		status:     bot.PlatformStatus{Detail: "not started"},
	}
	if a.state == nil {
		a.state = &memState{m: map[string][]byte{}}
	}
	api, err := tgbot.New(opts.Token,
		tgbot.WithServerURL(opts.APIURL),
		tgbot.WithHTTPClient(opts.PollTimeout, client),
		tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(err error) { a.log.Warn("telegram library", "err", a.mask(err)) }),
		// The library's own poller is never started; see poll.
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", a.mask(err))
	}
	a.api = api
	me, err := api.GetMe(ctx)
	if errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) {
		// The Bot API answers 401 for a revoked token and 404 for a
		// malformed one.
		return nil, fmt.Errorf("telegram: %s rejected the bot token (check platforms.telegram.token): %w", opts.APIURL, a.mask(err))
	}
	if err != nil {
		return nil, fmt.Errorf("telegram: check token with getMe at %s: %w", opts.APIURL, a.mask(err))
	}
	a.me = *me
	a.log = a.log.With("bot", "@"+me.Username)
	return a, nil
}

// Name returns "telegram".
func (a *Adapter) Name() string { return Name }

// Me returns the bot's own user, as getMe reported it.
func (a *Adapter) Me() models.User { return a.me }

// Limits are Telegram's documented bot limits. MaxTextRunes stays under
// the 4,096-character message limit with room for escaping differences.
func (a *Adapter) Limits() bot.Limits {
	if a.opts.RateLimits != (bot.Limits{}) {
		return a.opts.RateLimits
	}
	return bot.Limits{
		Global:       bot.Rate{N: 30, Period: time.Second},
		PerGroup:     bot.Rate{N: 20, Period: time.Minute},
		PerPrivate:   bot.Rate{N: 1, Period: time.Second},
		MaxTextRunes: 4000,
	}
}

// mask hides the token in err's text while keeping it inspectable with
// errors.Is and errors.As.
func (a *Adapter) mask(err error) error {
	if err == nil || a.opts.Token == "" || !strings.Contains(err.Error(), a.opts.Token) {
		return err
	}
	return &maskedError{err: err, token: a.opts.Token}
}

type maskedError struct {
	err   error
	token string
}

func (e *maskedError) Error() string { return strings.ReplaceAll(e.err.Error(), e.token, "<token>") }
func (e *maskedError) Unwrap() error { return e.err }

// validSecret checks a webhook secret token against Telegram's rules.
func validSecret(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Ref returns the chat or person ref for a Telegram id.
func Ref(id int64) string { return Name + ":" + strconv.FormatInt(id, 10) }

// chatID turns a ref into the chat_id parameter: a number, or an
// @username for public chats.
func chatID(ref string) (any, error) {
	if bot.PlatformOf(ref) != Name {
		return nil, fmt.Errorf("chat %q is not a telegram chat", ref)
	}
	local := bot.LocalID(ref)
	if strings.HasPrefix(local, "@") {
		return local, nil
	}
	id, err := strconv.ParseInt(local, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("chat %q: id is not a number", ref)
	}
	return id, nil
}

// userID parses a person ref "telegram:<user id>".
func userID(ref string) (int64, bool) {
	if bot.PlatformOf(ref) != Name {
		return 0, false
	}
	id, err := strconv.ParseInt(bot.LocalID(ref), 10, 64)
	return id, err == nil && id > 0
}

// memState keeps state in memory when no StateStore is configured.
type memState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memState) GetState(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

func (s *memState) PutState(_ context.Context, key string, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), val...)
	return nil
}
