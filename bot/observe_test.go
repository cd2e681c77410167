package bot_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
)

// countingObserver records what the engine reports for the metrics.
type countingObserver struct {
	mu       sync.Mutex
	messages map[string]int // "platform/kind"
	requests map[string]int
	alerts   int
	triaged  int
}

func (o *countingObserver) Message(platform, kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.messages[platform+"/"+kind]++
}

func (o *countingObserver) Request(urgency string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests[urgency]++
}

func (o *countingObserver) AlertSent() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alerts++
}

func (o *countingObserver) Triage(time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.triaged++
}

func TestEngineCountsWhatItHandles(t *testing.T) {
	obs := &countingObserver{messages: map[string]int{}, requests: map[string]int{}}
	h := newHarness(t, func(o *bot.Options) { o.Observer = obs })

	h.say("[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672")
	h.say("[intake] 小李: 大家晚上好，今天天气不错")
	h.say("[volunteers] admin: /cases")
	h.say("[@ann] ann: hello")

	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := map[string]int{
		"console/request": 1,
		"console/chatter": 1,
		"console/command": 1,
		"console/private": 1,
	}
	if !maps.Equal(obs.messages, want) {
		t.Errorf("messages = %v, want %v", obs.messages, want)
	}
	if obs.requests["critical"] != 1 || len(obs.requests) != 1 {
		t.Errorf("requests = %v, want one critical", obs.requests)
	}
	if obs.alerts != 1 {
		t.Errorf("alerts sent = %d, want 1 (one coordination chat)", obs.alerts)
	}
	if obs.triaged != 2 {
		t.Errorf("triaged = %d group messages, want 2", obs.triaged)
	}
}

// A page recorded in one group commit is counted once; a page whose group
// commit rolls back (here a message whose id is too long for a database
// key) is redone one message at a time and counted then, not also for the
// failed try.
func TestBatchCountsEachMessageOnce(t *testing.T) {
	obs := &countingObserver{messages: map[string]int{}, requests: map[string]int{}}
	h := newHarness(t, func(o *bot.Options) { o.Observer = obs })
	page := func(from, to int) bot.Batch {
		var msgs []bot.Message
		for i := from; i < to; i++ {
			text := "大家注意安全，今天有雨"
			if i == 5 {
				text = "外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672"
			}
			msgs = append(msgs, bot.Message{Chat: "console:intake", ID: fmt.Sprint("p", i), Sender: fmt.Sprint("console:u", i),
				SenderName: fmt.Sprint("u", i), Time: h.now(), Text: text})
		}
		return bot.Batch{Messages: msgs}
	}
	count := func() (chatter, requests int) {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		return obs.messages["console/chatter"], obs.messages["console/request"]
	}
	if err := h.e.HandleBatch(context.Background(), page(0, 20)); err != nil {
		t.Fatal(err)
	}
	if c, r := count(); c != 19 || r != 1 {
		t.Fatalf("after one page: %d chatter, %d requests; want 19 and 1", c, r)
	}
	bad := page(20, 30)
	last := &bad.Messages[len(bad.Messages)-1]
	last.ID = strings.Repeat("x", 40_000) // over bbolt's key size: its write fails
	if err := h.e.HandleBatch(context.Background(), bad); err == nil {
		t.Fatal("a page with an unrecordable message was accepted")
	}
	// One at a time, the nine good messages are recorded and counted, and
	// the bad one is counted as it is triaged before its write fails: 10,
	// not 20 (the rolled-back try counted too).
	if c, r := count(); c != 19+10 || r != 1 {
		t.Errorf("after the failed page: %d chatter, %d requests; want %d and 1", c, r, 19+10)
	}
	if n := h.countCases(); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}
