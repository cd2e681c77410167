package store

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/lifeline-aid/lifeline/triage"
)

// Fake merge rules: the real one lives in the engine. These only say
// what the store must do with each answer.
var (
	alwaysMerge = func(_, _ *Case) Decision { return Decision{Action: Merge} }
	alwaysLink  = func(_, _ *Case) Decision { return Decision{Action: Link} }
	never       = func(_, _ *Case) Decision { return Decision{Action: None} }
	// sameAddress merges only when the addresses agree, and links otherwise.
	sameAddress = func(c, n *Case) Decision {
		if c.Address == n.Address {
			return Decision{Action: Merge}
		}
		return Decision{Action: Link, Reason: "different address"}
	}
)

func TestIngestDecide(t *testing.T) {
	const fp = uint64(0x5555_aaaa_5555_aaaa)
	// Three open cases: #1 and #2 share a phone; #2 and #3 have
	// near-duplicate texts of the new plea; #4 is unrelated.
	setup := []IngestRequest{
		withAddress(plea("tg:-1", "1", "tg:lead", "5号楼张奶奶降压药断了三天 13800000001", "13800000001", 0x1, triage.High), "5号楼"),
		withAddress(plea("tg:-1", "2", "tg:lead", "代发 模板 13800000001", "13800000001", fp^1, triage.Normal), "6号楼"),
		withAddress(plea("tg:-1", "3", "tg:x", "代发 模板 13900000003", "13900000003", fp^3, triage.Normal), "7号楼"),
		withAddress(plea("tg:-1", "4", "tg:y", "unrelated", "13700000004", ^fp, triage.Normal), "9号楼"),
	}
	next := withAddress(plea("tg:-1", "9", "tg:lead", "代发：8号楼王爷爷突然昏迷 13800000001", "13800000001", fp, triage.Critical), "8号楼")
	tests := []struct {
		name     string
		rule     func(c, n *Case) Decision
		address  string
		asked    []int64 // candidates the rule was asked about, in order
		caseID   int64   // case the message ends in
		merged   bool
		links    map[int64]string // new case's links: case -> reason
		wantKind SourceKind
	}{
		{"merge into the strongest match", alwaysMerge, "8号楼", []int64{2}, 2, true, nil, SourceUpdate},
		{"none opens a separate case", never, "8号楼", []int64{2, 1, 3}, 5, false, map[int64]string{}, SourceFirst},
		{"link to every candidate with the store's reason", alwaysLink, "8号楼", []int64{2, 1, 3}, 5, false,
			map[int64]string{2: "same contact, similar text", 1: "same contact", 3: "similar text"}, SourceFirst},
		{"every candidate is asked, not only the first", sameAddress, "7号楼", []int64{2, 1, 3}, 3, true, nil, SourceRepost},
		{"the rule's reason is kept", sameAddress, "8号楼", []int64{2, 1, 3}, 5, false,
			map[int64]string{2: "different address", 1: "different address", 3: "different address"}, SourceFirst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t, Options{NoSync: true})
			ctx := context.Background()
			for _, r := range setup {
				r.Merge = false
				if _, err := s.Ingest(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			var asked []int64
			req := withAddress(next, tt.address)
			req.Decide = func(c, n *Case) Decision {
				asked = append(asked, c.ID)
				n.Phones[0], n.Text = "tampered", "tampered" // must not reach the store
				return tt.rule(c, n)
			}
			res, err := s.Ingest(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(asked, tt.asked) {
				t.Errorf("rule asked about %v, want %v", asked, tt.asked)
			}
			if res.Case.ID != tt.caseID || res.Merged != tt.merged || res.Source.Kind != tt.wantKind {
				t.Errorf("case #%d merged %v kind %s; want #%d %v %s", res.Case.ID, res.Merged, res.Source.Kind, tt.caseID, tt.merged, tt.wantKind)
			}
			mustConsistent(t, s)
			view(t, s, func(tx *Tx) error {
				c, _ := tx.Case(res.Case.ID)
				if slices.Contains(c.Phones, "tampered") || c.Text == "tampered" {
					t.Errorf("the rule changed the case: %+v", c)
				}
				if tt.links == nil {
					return nil
				}
				got := map[int64]string{}
				for _, l := range c.Links {
					got[l.Case] = l.Reason
					back, _ := tx.Links(l.Case)
					if !slices.ContainsFunc(back, func(b CaseLink) bool { return b.Case == c.ID && b.Reason == l.Reason }) {
						t.Errorf("link #%d -> #%d has no way back: %+v", c.ID, l.Case, back)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.links) {
					t.Errorf("links = %v, want %v", got, tt.links)
				}
				if !slices.Equal(res.Links, c.Links) {
					t.Errorf("result links %v, case links %v", res.Links, c.Links)
				}
				evs, _ := tx.Events(c.ID)
				linked := 0
				for _, e := range evs {
					if e.Kind == "linked" {
						linked++
					}
				}
				if linked != len(tt.links) {
					t.Errorf("%d linked events on the new case, want %d", linked, len(tt.links))
				}
				return nil
			})
		})
	}
}

func withAddress(r IngestRequest, addr string) IngestRequest {
	r.Case.Address = addr
	return r
}

// TestIngestDecideTemplateFlood writes 12 pleas from one template with
// distinct phones and addresses: a rule that never merges different
// phones opens 12 cases, each linked to the earlier ones it resembles,
// and asks about at most MaxCandidates each time.
func TestIngestDecideTemplateFlood(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	differentPhone := func(c, n *Case) Decision {
		for _, p := range n.Phones {
			if slices.Contains(c.Phones, p) {
				return Decision{Action: Merge}
			}
		}
		return Decision{Action: Link}
	}
	maxAsked := 0
	for i := range 12 {
		req := plea("tg:-1", fmt.Sprint(i), fmt.Sprintf("tg:%d", i), fmt.Sprintf("求助模板 %d号楼 1380000%04d", i, i),
			fmt.Sprintf("1380000%04d", i), 0x0f0f_0f0f_0000_0000|uint64(1)<<(i%3), triage.High)
		asked := 0
		req.Decide = func(c, n *Case) Decision { asked++; return differentPhone(c, n) }
		res, err := s.Ingest(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Merged || res.Case.ID != int64(i+1) {
			t.Fatalf("plea %d: case #%d merged %v", i, res.Case.ID, res.Merged)
		}
		if want := min(i, MaxCandidates); asked != want || len(res.Links) != want {
			t.Errorf("plea %d: asked %d, linked %d; want %d", i, asked, len(res.Links), want)
		}
		maxAsked = max(maxAsked, asked)
	}
	mustConsistent(t, s)
	// A repost with the phone of #12 merges into it.
	req := plea("tg:-2", "x", "tg:z", "转发 求助模板 11号楼 13800000011", "13800000011", 0x0f0f_0f0f_0000_0000|1<<2, triage.High)
	req.Decide = differentPhone
	res, err := s.Ingest(context.Background(), req)
	if err != nil || !res.Merged || res.Case.ID != 12 {
		t.Errorf("repost: %+v, %v", res, err)
	}
	t.Logf("at most %d candidates asked per plea", maxAsked)
}

// TestIngestDecideOnlyAmongOpenCases closes a matching case: it is no
// longer a candidate.
func TestIngestDecideOnlyAmongOpenCases(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx := context.Background()
	if _, err := s.Ingest(ctx, plea("tg:-1", "1", "tg:a", "help", "111", 0x99, triage.High)); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx *Tx) error {
		c, _ := tx.Case(1)
		c.Status = StatusResolved
		return tx.PutCase(c)
	})
	req := plea("tg:-1", "2", "tg:a", "help", "111", 0x99, triage.High)
	req.Decide = func(c, _ *Case) Decision {
		t.Errorf("asked about finished case #%d", c.ID)
		return Decision{Action: Merge}
	}
	if res, err := s.Ingest(ctx, req); err != nil || res.Merged || res.Case.ID != 2 {
		t.Errorf("Ingest = %+v, %v", res, err)
	}
}
