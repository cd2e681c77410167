package store

import (
	"testing"
	"time"
)

// FuzzOutChatKey: any chat ref and id survive the outbox chat index key,
// and no byte string makes the key reader panic or accept a key that is
// not one.
func FuzzOutChatKey(f *testing.F) {
	f.Add("telegram:-1001", uint64(7), []byte{0x05, 'a'})
	f.Add("wechat:浦东互助1群", uint64(1<<63), []byte{})
	f.Fuzz(func(t *testing.T, chat string, id uint64, raw []byte) {
		c, got, ok := splitOutChatKey(outChatKey(chat, id))
		if !ok || c != chat || got != id {
			t.Fatalf("round trip of %q %d = %q %d %v", chat, id, c, got, ok)
		}
		if c, id, ok := splitOutChatKey(raw); ok && string(outChatKey(c, id)) != string(raw) {
			t.Fatalf("accepted %x as %q %d", raw, c, id)
		}
	})
}

// FuzzQueryPageToken: a page token from outside (a button, a command
// argument) never panics a query; it pages or is refused.
func FuzzQueryPageToken(f *testing.F) {
	f.Add(uint8(0), "", false)
	f.Add(uint8(2), "00000000000000000000000000000001", true)
	f.Add(uint8(0), "ff0000000000000000000000000000000001", false)
	s := openTest(f, Options{NoSync: true})
	update(f, s, func(tx *Tx) error {
		for i := range 5 {
			if err := tx.CreateCase(&Case{Created: t0.Add(time.Duration(i) * time.Minute), FirstResponse: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, order uint8, after string, reverse bool) {
		_ = s.View(t.Context(), func(tx *Tx) error {
			page, _, err := tx.QueryCases(CaseQuery{Order: CaseOrder(order % 6), After: after, Reverse: reverse, Limit: 3})
			if err == nil && len(page) > 3 {
				t.Fatalf("page of %d", len(page))
			}
			return nil
		})
	})
}

// FuzzTimeBits: times keep their order through the key encoding.
func FuzzTimeBits(f *testing.F) {
	f.Add(int64(0), int64(1))
	f.Add(int64(-1), int64(1<<62))
	f.Fuzz(func(t *testing.T, a, b int64) {
		ta, tb := time.Unix(0, a), time.Unix(0, b)
		if (timeBits(ta) < timeBits(tb)) != ta.Before(tb) {
			t.Fatalf("order of %v and %v lost", ta, tb)
		}
		if got := timeFromBits(timeBits(ta)); !got.Equal(ta) {
			t.Fatalf("timeFromBits(timeBits(%v)) = %v", ta, got)
		}
	})
}
