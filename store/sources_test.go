package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/triage"
)

// plea is an ingest request for message id in chat from sender, with a
// phone (may be empty), fingerprint and urgency.
func plea(chat, id, sender, text, phone string, fp uint64, u triage.Urgency) IngestRequest {
	c := Case{Asker: sender, AskerName: "name of " + sender, Text: text, Urgency: u,
		Assessment: triage.Assessment{IsRequest: true, Urgency: u, Fingerprint: fp}}
	if phone != "" {
		c.Phones = []string{phone}
	}
	return IngestRequest{Msg: MessageKey{Chat: chat, ID: id}, At: t0, Case: c, Merge: true}
}

func TestSourcesKeepEveryMessageOutsideTheCase(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	long := strings.Repeat("外婆还是没醒，救护车还没来。", 40) // 560 runes
	steps := []struct {
		req  IngestRequest
		kind SourceKind
		from string
		to   string
	}{
		{plea("tg:-1", "1", "tg:ann", "外婆昏迷 13800000001", "13800000001", 0x1111, triage.High), SourceFirst, "", ""},
		{plea("tg:-2", "7", "tg:bob", "转：外婆昏迷 13800000001", "13800000001", 0x1113, triage.High), SourceRepost, "", ""},
		{plea("tg:-1", "2", "tg:ann", long, "13800000001", 0x1111, triage.Critical), SourceUpdate, "high", "critical"},
	}
	for i, st := range steps {
		st.req.At = t0.Add(time.Duration(i) * time.Minute)
		res, err := s.Ingest(ctx, st.req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Case.ID != 1 || res.Merged != (i > 0) || res.Source.Kind != st.kind || res.Source.Seq != uint64(i+1) {
			t.Errorf("step %d: case #%d merged %v source %+v", i, res.Case.ID, res.Merged, res.Source)
		}
	}
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		c, err := tx.Case(1)
		if err != nil {
			return err
		}
		if c.SourceCount != 3 || c.Text != "外婆昏迷 13800000001" || c.Urgency != triage.Critical {
			t.Errorf("case = count %d text %q urgency %v", c.SourceCount, c.Text, c.Urgency)
		}
		if c.Latest == nil || c.Latest.Seq != 3 || utf8.RuneCountInString(c.Latest.Text) != MaxLatestRunes ||
			!strings.HasSuffix(c.Latest.Text, "…") || c.Latest.Sender != "tg:ann" || !c.Latest.At.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("latest = %+v", c.Latest)
		}
		srcs, err := tx.Sources(1)
		if err != nil {
			return err
		}
		if len(srcs) != 3 {
			t.Fatalf("Sources = %d records", len(srcs))
		}
		for i, st := range steps {
			got := srcs[i]
			if got.Kind != st.kind || got.Text != st.req.Case.Text || got.Chat != st.req.Msg.Chat || got.Msg != st.req.Msg.ID ||
				got.Sender != st.req.Case.Asker || got.SenderName != st.req.Case.AskerName || got.From != st.from || got.To != st.to {
				t.Errorf("source %d = %+v", i+1, got)
			}
		}
		page, _ := tx.SourcesPage(1, 1, 1)
		newest, _ := tx.SourcesNewest(1, 0, 2)
		older, _ := tx.SourcesNewest(1, 2, 0)
		if seqs(page) != "2" || seqs(newest) != "3 2" || seqs(older) != "1" {
			t.Errorf("SourcesPage(after 1, 1) = %s; SourcesNewest(2) = %s; before 2 = %s", seqs(page), seqs(newest), seqs(older))
		}
		for _, k := range []MessageKey{{"tg:-1", "1"}, {"tg:-2", "7"}, {"tg:-1", "2"}} {
			if c, err := tx.CaseOfMessage(k); err != nil || c == nil || c.ID != 1 {
				t.Errorf("CaseOfMessage(%v) = %v, %v", k, c, err)
			}
		}
		if src, err := tx.SourceOfMessage(MessageKey{"tg:-2", "7"}); err != nil || src == nil || src.Seq != 2 {
			t.Errorf("SourceOfMessage = %+v, %v", src, err)
		}
		if c, err := tx.CaseOfMessage(MessageKey{"tg:-2", "8"}); c != nil || err != nil {
			t.Errorf("CaseOfMessage(unknown) = %v, %v", c, err)
		}
		return nil
	})
}

func seqs(srcs []Source) string {
	var out []string
	for _, s := range srcs {
		out = append(out, fmt.Sprint(s.Seq))
	}
	return strings.Join(out, " ")
}

// TestCaseRecordSizeIsConstant reposts one plea 2,000 times: the case
// record stays the size it had after the first repost.
func TestCaseRecordSizeIsConstant(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	var sizes []int
	for batch := range 4 {
		update(t, s, func(tx *Tx) error {
			for i := range 500 {
				n := batch*500 + i
				req := plea(fmt.Sprintf("wechat:group%d", n%7), fmt.Sprint(n), fmt.Sprintf("wechat:u%d", n), "母亲透析两周没做 13800000001", "13800000001", 0xabc, triage.Critical)
				req.At = t0.Add(time.Duration(n) * time.Second)
				if _, err := tx.Ingest(req); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx *Tx) error {
			sizes = append(sizes, len(tx.b(bCases).Get(idKey(1))))
			return nil
		})
	}
	view(t, s, func(tx *Tx) error {
		c, _ := tx.Case(1)
		srcs, _ := tx.Sources(1)
		if c.SourceCount != 2000 || len(srcs) != 2000 || tx.b(bCases).Stats().KeyN != 1 {
			t.Errorf("count %d, %d sources, %d cases", c.SourceCount, len(srcs), tx.b(bCases).Stats().KeyN)
		}
		return nil
	})
	for _, n := range sizes[1:] {
		if n > sizes[0]+8 { // the sequence number's digits may grow
			t.Errorf("record sizes after each 500 reposts: %v, want constant", sizes)
			break
		}
	}
	mustConsistent(t, s)
}

func TestAddSourceRecordsAnEdit(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	if _, err := s.Ingest(context.Background(), plea("tg:-1", "5", "tg:ann", "need insulin", "", 0x77, triage.High)); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx *Tx) error {
		src, err := tx.AddSource(1, Source{Kind: SourceEdit, Chat: "tg:-1", Msg: "5", Sender: "tg:ann", At: t0.Add(time.Minute), Text: "need insulin today"})
		if err != nil || src.Seq != 2 || src.Case != 1 {
			t.Errorf("AddSource = %+v, %v", src, err)
		}
		// A stale copy of the case cannot wind the count back.
		stale := &Case{ID: 1, Text: "need insulin today", Status: StatusNew, Updated: t0.Add(time.Minute)}
		if err := tx.PutCase(stale); err != nil {
			return err
		}
		if stale.SourceCount != 2 || stale.Latest.Text != "need insulin today" {
			t.Errorf("PutCase did not keep the stored count and latest: %+v", stale)
		}
		// A message delivered late is kept, and does not become the latest.
		late, err := tx.AddSource(1, Source{Kind: SourceRepost, Chat: "tg:-3", Msg: "1", At: t0.Add(-time.Hour), Text: "old repost"})
		if err != nil || late.Seq != 3 {
			t.Errorf("AddSource(late) = %+v, %v", late, err)
		}
		if c, _ := tx.Case(1); c.SourceCount != 3 || c.Latest.Seq != 2 {
			t.Errorf("after a late source: count %d latest %+v", c.SourceCount, c.Latest)
		}
		if _, err := tx.AddSource(9, Source{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("AddSource(missing case) = %v", err)
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		if src, _ := tx.SourceOfMessage(MessageKey{"tg:-1", "5"}); src == nil || src.Seq != 1 {
			t.Errorf("the message index should keep the first source, got %+v", src)
		}
		return nil
	})
	mustConsistent(t, s)
}

func TestMergeSourcesMovesMessagesToTheKeptCase(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	for _, r := range []IngestRequest{
		plea("tg:-1", "1", "tg:ann", "grandma fell", "111", 0x1, triage.High),
		plea("tg:-2", "2", "tg:bob", "old lady fell on 5th street", "222", 0xf0f0f0f0f0f0f0f0, triage.Critical),
		plea("tg:-2", "3", "tg:cy", "repost: old lady fell on 5th street", "222", 0xf0f0f0f0f0f0f0f0, triage.Critical),
	} {
		if _, err := s.Ingest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	update(t, s, func(tx *Tx) error {
		n, err := tx.MergeSources(2, 1)
		if err != nil || n != 2 {
			t.Errorf("MergeSources = %d, %v", n, err)
		}
		if _, err := tx.MergeSources(1, 1); err == nil {
			t.Error("MergeSources into itself accepted")
		}
		return nil
	})
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		into, _ := tx.Case(1)
		srcs, _ := tx.Sources(1)
		if into.SourceCount != 3 || len(srcs) != 3 || srcs[1].MovedFrom != 2 || srcs[2].Text != "repost: old lady fell on 5th street" {
			t.Errorf("kept case: count %d sources %+v", into.SourceCount, srcs)
		}
		if dup, _ := tx.Sources(2); len(dup) != 2 {
			t.Errorf("the duplicate lost its own history: %d sources", len(dup))
		}
		if c, _ := tx.CaseOfMessage(MessageKey{"tg:-2", "3"}); c == nil || c.ID != 1 {
			t.Errorf("CaseOfMessage after merge = %v", c)
		}
		return nil
	})
}

func TestLinkCasesBothWaysBounded(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		for range MaxLinks + 3 {
			if err := tx.CreateCase(&Case{Created: t0}); err != nil {
				return err
			}
		}
		for id := int64(2); id <= MaxLinks+3; id++ {
			if err := tx.LinkCases(1, id, "similar text", t0.Add(time.Duration(id)*time.Minute)); err != nil {
				return err
			}
		}
		if err := tx.LinkCases(1, 5, "same contact", t0); err != nil { // again: replaces, moves last
			return err
		}
		if err := tx.LinkCases(3, 3, "", t0); err == nil {
			t.Error("a case linked to itself")
		}
		return nil
	})
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		links, err := tx.Links(1)
		if err != nil {
			return err
		}
		var ids []int64
		for _, l := range links {
			ids = append(ids, l.Case)
		}
		want := []int64{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 5}
		if len(links) != MaxLinks || !slices.Equal(ids[1:], want) || links[MaxLinks-1].Reason != "same contact" {
			t.Errorf("links of #1 = %v (%d)", ids, len(links))
		}
		if back, _ := tx.Links(19); len(back) != 1 || back[0].Case != 1 || back[0].Reason != "similar text" {
			t.Errorf("links of #19 = %+v", back)
		}
		return nil
	})
}

func TestCutRunes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"外婆还没醒", 4, "外婆还…"},
		{"", 2, ""},
	}
	for _, tt := range tests {
		if got := cutRunes(tt.in, tt.n); got != tt.want {
			t.Errorf("cutRunes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestPendingByKey(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	var id uint64
	if err := s.Update(ctx, func(tx *Tx) error {
		it := OutboxItem{Chat: "c", Kind: "alert", DedupeKey: "alert:1:c:critical", Payload: []byte(`{}`)}
		if _, err := tx.Enqueue(&it); err != nil {
			return err
		}
		id = it.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	check := func(key string, want bool) {
		t.Helper()
		if err := s.View(ctx, func(tx *Tx) error {
			got, err := tx.PendingByKey(key)
			if err != nil || got != want {
				t.Errorf("PendingByKey(%q) = %v, %v; want %v", key, got, err, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	check("alert:1:c:critical", true)
	check("alert:1:c:high", false)
	if err := s.Update(ctx, func(tx *Tx) error { return tx.CompleteOutbox(id) }); err != nil {
		t.Fatal(err)
	}
	check("alert:1:c:critical", false)
}
