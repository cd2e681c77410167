package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
)

// fetchingConsole is the console platform that can download media: the
// "file" of a media item is its ref.
type fetchingConsole struct{ *console.Adapter }

func (fetchingConsole) FetchMedia(_ context.Context, m bot.Media, _ int64) ([]byte, error) {
	return []byte(m.Ref), nil
}

// fakeOCR reads the text it was told each image holds.
type fakeOCR map[string]string

func (f fakeOCR) Recognize(_ context.Context, img []byte) (string, error) { return f[string(img)], nil }

func withOCR(texts fakeOCR) func(*bot.Options) {
	return func(o *bot.Options) { o.Media.OCR = texts }
}

// The OCR path through the engine with a fake reader (the real tesseract
// runs in cmd/lifeline's end-to-end test): a screenshot without a caption
// in a group becomes an alerted case marked as read from an image and the
// picture follows the alert; a picture of chatter changes nothing; a
// private picture's text joins the asker's case.
func TestOCRTextIsTriagedLikeAMessage(t *testing.T) {
	h := newHarness(t, withOCR(fakeOCR{
		"console-photo-1": "求助！我妈妈心脏病发作，喘不上气，电话13812345678",
		"console-photo-2": "今天天气不错",
	}))
	h.e.AddPlatform(fetchingConsole{h.con})
	out := h.sayMedia("[intake] 小陈: [photo]")
	if out != "" || h.countCases() != 0 {
		t.Fatalf("a picture was acted on before it was read:\n%s", out)
	}
	if n := h.e.RecognizeQueued(context.Background()); n != 1 {
		t.Fatalf("read %d images", n)
	}
	out = h.flush()
	mustContain(t, out, "case #1", "(text recognised from an image)", "13812345678", "[photo copy of intake#m1]")
	if i, j := strings.Index(out, "case #1"), strings.Index(out, "[photo copy of"); j < i {
		t.Errorf("the picture went before its alert:\n%s", out)
	}
	// Redelivery of the picture reads nothing again.
	h.msgSeq--
	h.sayMedia("[intake] 小陈: [photo]")
	if n := h.e.RecognizeQueued(context.Background()); n != 0 {
		t.Errorf("a redelivered picture was read again (%d)", n)
	}

	h.handle(bot.Message{Chat: "console:intake", ID: "chatter", Sender: "console:路人", SenderName: "路人", Time: h.now(),
		Media: []bot.Media{{Kind: bot.MediaPhoto, Ref: "console-photo-2"}}})
	h.e.RecognizeQueued(context.Background())
	if h.countCases() != 1 {
		t.Errorf("%d cases", h.countCases())
	}

	h.say("[@Tom] Tom: my father had a stroke and cannot speak")
	h.sayMedia("[@Tom] Tom: [photo] his medicine")
	h.e.RecognizeQueued(context.Background())
	h.flush()
	if c := h.caseByID(2); !strings.Contains(c.Text, "(text recognised from an image) 求助") || len(c.Phones) == 0 || !c.Media[0].OCR {
		t.Errorf("case 2 = %q phones %v media %+v", c.Text, c.Phones, c.Media)
	}
	if s := h.e.OCRStats(); s.Done != 3 || s.Dropped != 0 {
		t.Errorf("OCR stats = %+v", s)
	}
}
