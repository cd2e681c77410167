package media

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

func newEnv(t *testing.T) *env.Env {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "l.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return env.New(env.Config{Store: st, Language: "en"})
}

// metres between two points (equirectangular; fine at these distances).
func metres(lat1, lon1, lat2, lon2 float64) float64 {
	x := (lon2 - lon1) * math.Cos((lat1+lat2)/2*math.Pi/180)
	y := lat2 - lat1
	return math.Sqrt(x*x+y*y) * 111_195
}

func TestGCJ02ConversionRoundTripsWithinAMetre(t *testing.T) {
	for _, p := range [][2]float64{{31.2304, 121.4737}, {39.9042, 116.4074}, {22.5431, 114.0579}, {30.5928, 114.3055}} {
		gLat, gLon := WGS84ToGCJ02(p[0], p[1])
		if d := metres(p[0], p[1], gLat, gLon); d < 100 || d > 1000 {
			t.Errorf("%v: GCJ-02 offset %.0f m; want the usual few hundred", p, d)
		}
		wLat, wLon := GCJ02ToWGS84(gLat, gLon)
		if d := metres(p[0], p[1], wLat, wLon); d > 1 {
			t.Errorf("%v: round trip off by %.2f m", p, d)
		}
	}
	if lat, lon := GCJ02ToWGS84(51.5, -0.12); lat != 51.5 || lon != -0.12 {
		t.Errorf("a point outside China moved: %v,%v", lat, lon)
	}
}

func TestPointConvertsOnlyWeChatPositions(t *testing.T) {
	m := platform.Message{Chat: "telegram:1", Location: &platform.Location{Lat: 31.2304, Lon: 121.4737, Title: "人民广场", Address: "黄浦区"}}
	if p := Point(m); p.Lat != 31.2304 || p.Title != "人民广场 黄浦区" {
		t.Errorf("telegram point = %+v", p)
	}
	m.Chat = "wechat:x"
	if p := Point(m); p.Lat == 31.2304 {
		t.Errorf("wechat point was not converted: %+v", p)
	}
}

func TestCleanOCRJoinsChineseAndDropsEmptyLines(t *testing.T) {
	for in, want := range map[string]string{
		"我 妈 妈 心 脏 病 发 作 , 喘 不 上 气\n\n\f": "我妈妈心脏病发作,喘不上气",
		"电 话 13812345678":                "电话13812345678",
		"Call  me at  3 Elm Road\n救 命 !": "Call me at 3 Elm Road\n救命!",
		"  ":                             "",
	} {
		if got := CleanOCR(in); got != want {
			t.Errorf("CleanOCR(%q) = %q; want %q", in, got, want)
		}
	}
}

func FuzzCleanOCR(f *testing.F) {
	f.Add("我 妈 妈 , 救 命 !\n\n电 话 138")
	f.Add("a  b\fc")
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanOCR(s)
		if len(out) > len(s) {
			t.Errorf("CleanOCR grew %q to %q", s, out)
		}
		if CleanOCR(out) != out {
			t.Errorf("CleanOCR is not idempotent on %q", s)
		}
	})
}

// slowReader counts and blocks until released or its context ends.
type slowReader struct {
	mu      sync.Mutex
	calls   int
	release chan struct{}
}

func (s *slowReader) Recognize(ctx context.Context, img []byte) (string, error) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	select {
	case <-s.release:
		return "text of " + string(img), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// fetcher is a platform whose media are their refs' bytes.
type fetcher struct {
	name  string
	fail  error
	calls int
	mu    sync.Mutex
}

func (f *fetcher) Name() string                                              { return f.name }
func (f *fetcher) Limits() platform.Limits                                   { return platform.Limits{} }
func (f *fetcher) Send(context.Context, platform.OutMessage) (string, error) { return "1", nil }
func (f *fetcher) FetchMedia(_ context.Context, m platform.Media, max int64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	if int64(len(m.Ref)) > max {
		return nil, platform.Permanent(errors.New("too large"))
	}
	return []byte(m.Ref), nil
}

func TestWorkerIsBoundedAndTimesOut(t *testing.T) {
	e := newEnv(t)
	e.AddPlatform(&fetcher{name: "telegram"})
	rec := &slowReader{release: make(chan struct{})}
	w := NewWorker(e, rec, WorkerOptions{Timeout: 50 * time.Millisecond, MaxBytes: 8, Queue: 2})
	var mu sync.Mutex
	var results []string
	done := func(_ context.Context, text string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			results = append(results, "err:"+err.Error())
			return
		}
		results = append(results, text)
	}
	msg := platform.Message{Chat: "telegram:1", ID: "1"}
	if !w.Submit(Job{Msg: msg, Media: platform.Media{Ref: "img1"}, Done: done}) ||
		!w.Submit(Job{Msg: msg, Media: platform.Media{Ref: "way too big", Size: 11}, Done: done}) {
		t.Fatal("the queue refused jobs below its bound")
	}
	if w.Submit(Job{Msg: msg, Media: platform.Media{Ref: "img3"}, Done: done}) {
		t.Fatal("a full queue took a third job")
	}
	if n := w.RunQueued(context.Background()); n != 2 {
		t.Fatalf("ran %d jobs", n)
	}
	s := w.Stats()
	if s.Dropped != 1 || s.Failed != 2 || s.Done != 0 {
		t.Errorf("stats = %+v; want 1 dropped, 2 failed (timeout, too big)", s)
	}
	if len(results) != 2 || !strings.Contains(results[0], "deadline") || !strings.Contains(results[1], "over the OCR limit") {
		t.Errorf("results = %q", results)
	}
	if rec.calls != 1 {
		t.Errorf("the recognizer ran %d times; the oversize image must not reach it", rec.calls)
	}
	close(rec.release)
	w.Submit(Job{Msg: msg, Media: platform.Media{Ref: "img4"}, Done: done})
	w.RunQueued(context.Background())
	if results[2] != "text of img4" {
		t.Errorf("results = %q", results)
	}
}

func newCase(t *testing.T, e *env.Env, media ...store.CaseMedia) *store.Case {
	t.Helper()
	c := &store.Case{Text: "x", Status: store.StatusNew, Media: media, Created: time.Now(), Updated: time.Now()}
	if err := e.Store.Update(context.Background(), func(tx *store.Tx) error { return tx.CreateCase(c) }); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPrepareFetchesCrossPlatformRelaysOnceAndNotesPermanentFailures(t *testing.T) {
	e := newEnv(t)
	tg := &fetcher{name: "telegram"}
	e.AddPlatform(tg)
	e.AddPlatform(&fetcher{name: "wechat"})
	dir := t.TempDir()
	s := New(e, Options{Dir: dir})
	c := newCase(t, e, store.CaseMedia{Kind: "voice", Chat: "telegram:5", Msg: "9", Ref: "OggS-bytes", MIME: "audio/ogg"})
	out := platform.OutMessage{Chat: "wechat:coord", Text: "#1 voice", Attachment: &platform.Attachment{Kind: platform.MediaVoice,
		CopyOf: &platform.MessageRef{Chat: "telegram:5", ID: "9"}}}

	same := out
	same.Chat = "telegram:-100"
	if got, err := s.Prepare(context.Background(), c.ID, same); err != nil || got.Attachment.CopyOf == nil {
		t.Errorf("a same-platform relay was changed: %+v, %v", got.Attachment, err)
	}
	got, err := s.Prepare(context.Background(), c.ID, out)
	if err != nil || got.Attachment == nil || got.Attachment.CopyOf != nil || got.Attachment.Path == "" {
		t.Fatalf("prepared %+v, %v", got.Attachment, err)
	}
	data, err := os.ReadFile(got.Attachment.Path)
	if err != nil || string(data) != "OggS-bytes" || !strings.HasSuffix(got.Attachment.Path, ".ogg") {
		t.Errorf("file %s = %q, %v", got.Attachment.Path, data, err)
	}
	if fi, _ := os.Stat(got.Attachment.Path); fi.Mode().Perm() != 0o600 {
		t.Errorf("relay file mode %v; it is personal data", fi.Mode().Perm())
	}
	if _, err := s.Prepare(context.Background(), c.ID, out); err != nil || tg.calls != 1 {
		t.Errorf("second relay fetched again (%d calls), %v", tg.calls, err)
	}

	// A transient failure is retried by the outbox; a permanent one
	// becomes a note saying where the original is.
	c2 := newCase(t, e, store.CaseMedia{Kind: "photo", Chat: "telegram:5", Msg: "10", Ref: "jpeg"})
	out2 := out
	out2.Attachment = &platform.Attachment{Kind: platform.MediaPhoto, CopyOf: &platform.MessageRef{Chat: "telegram:5", ID: "10"}}
	tg.fail = errors.New("connection reset")
	if _, err := s.Prepare(context.Background(), c2.ID, out2); err == nil || errors.Is(err, platform.ErrPermanent) {
		t.Errorf("transient fetch failure = %v; want it retried", err)
	}
	tg.fail = platform.Permanent(errors.New("file is gone"))
	got, err = s.Prepare(context.Background(), c2.ID, out2)
	if err != nil || got.Attachment != nil || !strings.Contains(got.Text, "could not be fetched") || !strings.Contains(got.Text, "file is gone") {
		t.Errorf("permanent failure gave %+v, %v", got, err)
	}
}

func TestSweepRemovesFilesOfPurgedCasesOnly(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	s := New(e, Options{Dir: dir})
	newCase(t, e) // case 1 stays
	purged := newCase(t, e)
	for _, id := range []string{"1", "2", "99", "notes"} {
		if err := os.MkdirAll(filepath.Join(dir, id), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id, "f.ogg"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Retention purges finished cases; the case then says Purged.
	if err := e.Store.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.Case(purged.ID)
		if err != nil {
			return err
		}
		c.Status, c.Finished = store.StatusResolved, time.Now().Add(-100*24*time.Hour)
		return tx.PutCase(c)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Purge(context.Background(), time.Now(), 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	n, err := s.Sweep(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("swept %d, %v; want case 2 (purged) and 99 (gone)", n, err)
	}
	for name, want := range map[string]bool{"1": true, "2": false, "99": false, "notes": true} {
		_, err := os.Stat(filepath.Join(dir, name))
		if (err == nil) != want {
			t.Errorf("%s exists = %v; want %v", name, err == nil, want)
		}
	}
}

func TestAttachKeepsTheNewestAndSkipsRepeats(t *testing.T) {
	c := &store.Case{}
	for i := range store.MaxCaseMedia + 3 {
		Attach(c, store.CaseMedia{Chat: "x", Msg: string(rune('a' + i))})
	}
	if len(c.Media) != store.MaxCaseMedia || c.Media[0].Msg != string(rune('a'+3)) {
		t.Errorf("kept %d, first %q", len(c.Media), c.Media[0].Msg)
	}
	if Attach(c, c.Media[5]) {
		t.Error("the same item attached twice")
	}
}
