package deeplink

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/store"
)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "l.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPayloadsParseBackAndForgeriesDoNot(t *testing.T) {
	st := openStore(t)
	var c42, r42 string
	if err := st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		if c42, err = Payload(tx, Case, 42); err != nil {
			return err
		}
		r42, err = Payload(tx, Room, 42)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(c42) > 64 || strings.Trim(c42, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		t.Errorf("payload %q is not a valid Telegram start parameter", c42)
	}
	_, tok, _ := strings.Cut(c42, "-")
	for _, tc := range []struct {
		payload string
		ok      bool
		kind    byte
	}{
		{c42, true, Case},
		{r42, true, Room},
		{"c43-" + tok, false, 0},  // another case with this token
		{"r" + c42[1:], false, 0}, // another kind
		{"c42-" + tok[:len(tok)-1], false, 0},
		{"c42", false, 0},
		{"x42-" + tok, false, 0},
		{"c-1-" + tok, false, 0},
		{"", false, 0},
	} {
		err := st.View(context.Background(), func(tx *store.Tx) error {
			kind, id, ok, err := Parse(tx, tc.payload)
			if ok != tc.ok || ok && (kind != tc.kind || id != 42) {
				t.Errorf("Parse(%q) = %c %d %v", tc.payload, kind, id, ok)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAStoreWithoutLinksAcceptsNone(t *testing.T) {
	st := openStore(t)
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		_, _, ok, err := Parse(tx, "c1-aaaaaaaaaaaaaaaa")
		if ok {
			t.Error("a link was accepted before any was made")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	st := openStore(f)
	var good string
	if err := st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		good, err = Payload(tx, Case, 7)
		return err
	}); err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("r7-x")
	f.Add("c99999999999999999999-abc")
	f.Fuzz(func(t *testing.T, payload string) {
		_ = st.View(context.Background(), func(tx *store.Tx) error {
			kind, id, ok, err := Parse(tx, payload)
			if err != nil {
				t.Fatal(err)
			}
			if ok && (payload != good || kind != Case || id != 7) {
				t.Errorf("Parse accepted %q as %c%d", payload, kind, id)
			}
			return nil
		})
	})
}
