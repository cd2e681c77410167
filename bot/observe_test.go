package bot_test

import (
	"maps"
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
