package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// sayMedia feeds a console line whose text may start with media tags
// ("[voice 12s]", "[location 31.23,121.47 浦东]"), as the console adapter
// reads them, and returns what the bot printed.
func (h *harness) sayMedia(line string) string {
	h.t.Helper()
	chat, sender, text, err := console.ParseLine(line)
	if err != nil {
		h.t.Fatalf("bad console line %q: %v", line, err)
	}
	h.msgSeq++
	m := bot.Message{
		Chat:       "console:" + chat,
		Private:    strings.HasPrefix(chat, "@"),
		ChatName:   chat,
		ID:         "m" + strconv.Itoa(h.msgSeq),
		Sender:     "console:" + sender,
		SenderName: sender,
		Time:       h.now(),
	}
	if err := console.ParseContent(text, &m); err != nil {
		h.t.Fatalf("bad content %q: %v", text, err)
	}
	return h.handle(m)
}

// caseByID reads case id.
func (h *harness) caseByID(id int64) *store.Case {
	h.t.Helper()
	var c *store.Case
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return c
}

func TestPrivateVoiceOpensAnUrgentCaseAndIsRelayed(t *testing.T) {
	h := newHarness(t)
	out := h.sayMedia("[@Tom] Tom: [voice 12s]")
	mustContain(t, out,
		"[@Tom] lifeline: I received your voice message", "request #1", "emergency number (120)",
		"[volunteers] lifeline: 🟠 HIGH", "Urgency unknown", "🎤 voice message — listen 0:12",
		"[volunteers] lifeline: [voice copy of @Tom#m1] #1 · 🎤 voice message — listen 0:12 · from Tom")
	if i, j := strings.Index(out, "[volunteers] lifeline: 🟠"), strings.Index(out, "[voice copy of"); i < 0 || j < i {
		t.Errorf("the voice message was not relayed after its card:\n%s", out)
	}
	c := h.caseByID(1)
	if !c.UrgencyUnknown || len(c.Media) != 1 || c.Media[0].Kind != "voice" {
		t.Errorf("case = %+v", c)
	}
}
