package store

import (
	"errors"
	"testing"
	"time"
)

func TestLaneOfKind(t *testing.T) {
	tests := []struct {
		it   OutboxItem
		want Priority
	}{
		{OutboxItem{Kind: "alert"}, PriorityAlert},
		{OutboxItem{Kind: "alert-folded"}, PriorityAlert},
		{OutboxItem{Kind: "escalation"}, PriorityAlert},
		{OutboxItem{Kind: "reply"}, PriorityReply},
		{OutboxItem{Kind: "room"}, PriorityReply},
		{OutboxItem{Kind: ""}, PriorityReply},
		{OutboxItem{Kind: "digest"}, PriorityBulk},
		{OutboxItem{Kind: "notice"}, PriorityBulk},
		{OutboxItem{Kind: "broadcast"}, PriorityBulk},
		{OutboxItem{Kind: "reply", Priority: PriorityAlert}, PriorityAlert}, // an asker's answer
		{OutboxItem{Kind: "alert", Priority: PriorityBulk}, PriorityBulk},
		{OutboxItem{Kind: "alert", Priority: 9}, PriorityAlert}, // unknown: by kind
	}
	for _, tt := range tests {
		if got := laneOf(&tt.it); got != tt.want {
			t.Errorf("laneOf(%s, %d) = %s, want %s", tt.it.Kind, tt.it.Priority, got, tt.want)
		}
	}
}

// TestDueServesTheAlertLaneFirst queues 1,500 replies from one spammer,
// then a digest, then an alert: the first page of due items starts with
// the alert, however long the queue.
func TestDueServesTheAlertLaneFirst(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	update(t, s, func(tx *Tx) error {
		for range 8 {
			if err := tx.CreateCase(&Case{}); err != nil {
				return err
			}
		}
		for i := range 1500 {
			if _, err := tx.Enqueue(&OutboxItem{Chat: "tg:-100intake", Kind: "reply", NextAt: t0.Add(time.Duration(i) * time.Millisecond)}); err != nil {
				return err
			}
		}
		for _, it := range []OutboxItem{
			{Chat: "tg:-100coord", Kind: "digest", NextAt: t0},
			{Chat: "tg:-100coord", Kind: "alert", Case: 7, NextAt: t0.Add(time.Second)},
			{Chat: "tg:555", Kind: "reply", Priority: PriorityAlert, Case: 7, NextAt: t0.Add(2 * time.Second)},
			{Chat: "tg:-100coord", Kind: "alert", Case: 8, NextAt: t0.Add(time.Hour)}, // not due yet
		} {
			if _, err := tx.Enqueue(&it); err != nil {
				return err
			}
		}
		return nil
	})
	mustConsistent(t, s)
	now := t0.Add(time.Minute)
	view(t, s, func(tx *Tx) error {
		due, err := tx.Due(now, 1000)
		if err != nil {
			return err
		}
		if len(due) != 1000 || due[0].Kind != "alert" || due[0].Case != 7 || due[1].Chat != "tg:555" || due[2].Kind != "reply" {
			t.Errorf("Due = %d items, first %+v %+v %+v", len(due), due[0], due[1], due[2])
		}
		all, _ := tx.Due(now, 0)
		if len(all) != 1503 || all[1502].Kind != "digest" {
			t.Errorf("Due(all) = %d items, last %+v", len(all), all[len(all)-1])
		}
		if old, _ := tx.DueOutbox(now, 2); old[0].Case != 7 {
			t.Errorf("DueOutbox does not serve the alert lane first: %+v", old[0])
		}
		next, ok, _ := tx.NextOutboxDue()
		if !ok || !next.Equal(t0) {
			t.Errorf("NextOutboxDue = %v, %v; want the digest's %v", next, ok, t0)
		}
		return nil
	})
}

func TestOutboxSummaryAndChatOutbox(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	var ids []uint64
	update(t, s, func(tx *Tx) error {
		for i, it := range []OutboxItem{
			{Chat: "telegram:-1", Kind: "alert", Created: t0},                           // 0 queued alert
			{Chat: "telegram:-1", Kind: "reply", Created: t0.Add(time.Minute)},          // 1 stuck (429)
			{Chat: "telegram:-1", Kind: "reply", Created: t0.Add(2 * time.Minute)},      // 2 dead
			{Chat: "telegram:42", Kind: "reply", Created: t0.Add(3 * time.Minute)},      // 3 queued
			{Chat: "wechat:群1", Kind: "alert", Created: t0.Add(4 * time.Minute)},        // 4 stuck
			{Chat: "wechat:群1", Kind: "digest", Created: t0.Add(5 * time.Minute)},       // 5 delivered
			{Chat: "wechat:群1", Kind: "notice", Created: t0.Add(6 * time.Minute)},       // 6 dead
			{Chat: "telegram:-10", Kind: "reply", Created: t0.Add(7 * time.Minute)},     // 7 a chat whose ref extends -1's
			{Chat: "telegram:-1", Kind: "reply", Created: t0.Add(8 * time.Minute)},      // 8 dead, then requeued
			{Chat: "telegram:-1", Kind: "notice", Created: t0.Add(9 * time.Minute)},     // 9 queued
			{Chat: "telegram:-1", Kind: "alert", Created: t0.Add(10 * time.Minute)},     // 10 queued alert
			{Chat: "telegram:-1", Kind: "reply", Created: t0.Add(11 * time.Minute)},     // 11 queued
			{Chat: "telegram:-1", Kind: "broadcast", Created: t0.Add(12 * time.Minute)}, // 12 queued
		} {
			if _, err := tx.Enqueue(&it); err != nil {
				return err
			}
			ids = append(ids, it.ID)
			_ = i
		}
		if err := tx.RescheduleOutbox(ids[1], t0.Add(time.Hour), 0, "429 too many requests"); err != nil {
			return err
		}
		if err := tx.RescheduleOutbox(ids[4], t0.Add(time.Hour), 3, "network down"); err != nil {
			return err
		}
		for _, i := range []int{2, 8} {
			if err := tx.DropOutboxAt(ids[i], "chat not found", t0.Add(time.Duration(20+i)*time.Minute)); err != nil {
				return err
			}
		}
		if err := tx.DropOutboxAt(ids[6], "bad request: message is too long", t0.Add(30*time.Minute)); err != nil {
			return err
		}
		return tx.CompleteOutbox(ids[5])
	})
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		sum, err := tx.OutboxSummary()
		if err != nil {
			return err
		}
		want := QueueStats{Queued: 7, Stuck: 2, Dead: 3, Alerts: 3, OldestQueued: t0, OldestStuck: t0.Add(time.Minute), OldestDead: t0.Add(22 * time.Minute)}
		if sum.Total != want {
			t.Errorf("Total = %+v\nwant    %+v", sum.Total, want)
		}
		tg := QueueStats{Queued: 7, Stuck: 1, Dead: 2, Alerts: 2, OldestQueued: t0, OldestStuck: t0.Add(time.Minute), OldestDead: t0.Add(22 * time.Minute)}
		if sum.Platforms["telegram"] != tg {
			t.Errorf("telegram = %+v\nwant       %+v", sum.Platforms["telegram"], tg)
		}
		wc := QueueStats{Stuck: 1, Dead: 1, Alerts: 1, OldestStuck: t0.Add(4 * time.Minute), OldestDead: t0.Add(30 * time.Minute)}
		if sum.Chats["wechat:群1"] != wc {
			t.Errorf("wechat:群1 = %+v\nwant         %+v", sum.Chats["wechat:群1"], wc)
		}
		if len(sum.Chats) != 4 {
			t.Errorf("chats = %v", sum.Chats)
		}
		q, err := tx.ChatOutbox("telegram:-1", 3)
		if err != nil {
			return err
		}
		if q.Stats != sum.Chats["telegram:-1"] || len(q.Items) != 3 || q.Items[0].ID != ids[0] || q.Items[1].LastError != "429 too many requests" ||
			len(q.Dead) != 2 || q.Dead[0].Item.ID != ids[8] || q.Dead[1].Reason != "chat not found" {
			t.Errorf("ChatOutbox = %+v", q)
		}
		return nil
	})
	update(t, s, func(tx *Tx) error {
		it, err := tx.RequeueDead(ids[8], t0.Add(time.Hour))
		if err != nil || it.ID != ids[8] || it.Attempts != 0 || !it.NextAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("RequeueDead = %+v, %v", it, err)
		}
		if _, err := tx.RequeueDead(ids[8], t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("second RequeueDead = %v, want ErrNotFound", err)
		}
		return nil
	})
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		q, _ := tx.ChatOutbox("telegram:-1", 0)
		if q.Stats.Dead != 1 || q.Stats.Queued != 6 || len(q.Items) != 7 {
			t.Errorf("after requeue: %+v", q.Stats)
		}
		due, _ := tx.Due(t0.Add(time.Hour), 0)
		found := false
		for _, it := range due {
			found = found || it.ID == ids[8]
		}
		if !found {
			t.Error("requeued item is not due")
		}
		return nil
	})
}

func TestRequeueDeadRefusesAPurgedLetter(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	var id uint64
	update(t, s, func(tx *Tx) error {
		it := OutboxItem{Chat: "tg:-1", Kind: "alert", Payload: []byte("secret 13800000001")}
		if _, err := tx.Enqueue(&it); err != nil {
			return err
		}
		id = it.ID
		return tx.DropOutboxAt(id, "forbidden", t0)
	})
	r, err := s.PurgeAll(t.Context(), t0.Add(91*24*time.Hour), 90*24*time.Hour)
	if err != nil || r.DeadLetters != 1 {
		t.Fatalf("PurgeAll = %+v, %v", r, err)
	}
	update(t, s, func(tx *Tx) error {
		if _, err := tx.RequeueDead(id, t0); !errors.Is(err, ErrPurged) {
			t.Errorf("RequeueDead(purged) = %v, want ErrPurged", err)
		}
		return nil
	})
	view(t, s, func(tx *Tx) error {
		d, err := tx.DeadLetter(id)
		if err != nil || !d.Purged || d.Item.Payload != nil || d.Reason != "forbidden" || d.Item.Chat != "tg:-1" {
			t.Errorf("purged dead letter = %+v, %v", d, err)
		}
		sum, _ := tx.OutboxSummary()
		if sum.Total.Dead != 0 {
			t.Errorf("a purged dead letter still counts: %+v", sum.Total)
		}
		return nil
	})
	mustConsistent(t, s)
}

func TestSplitOutChatKey(t *testing.T) {
	for _, chat := range []string{"", "telegram:-100123", "wechat:浦东互助1群", string(make([]byte, 300))} {
		c, id, ok := splitOutChatKey(outChatKey(chat, 77))
		if !ok || c != chat || id != 77 {
			t.Errorf("splitOutChatKey(outChatKey(%q)) = %q %d %v", chat, c, id, ok)
		}
	}
	if _, _, ok := splitOutChatKey([]byte{5, 'a'}); ok {
		t.Error("a short key was accepted")
	}
}

func TestWakeChatMakesItsItemsDueNow(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	later := t0.Add(time.Hour)
	update(t, s, func(tx *Tx) error {
		for _, it := range []OutboxItem{
			{Chat: "tg:-100coord", Kind: "alert", NextAt: later},
			{Chat: "tg:-100coord", Kind: "digest", NextAt: later},
			{Chat: "tg:-100coord", Kind: "reply", NextAt: t0}, // already due
			{Chat: "tg:-100other", Kind: "alert", NextAt: later},
		} {
			if _, err := tx.Enqueue(&it); err != nil {
				return err
			}
		}
		if err := tx.RescheduleOutbox(1, later, 7, "403 bot was kicked"); err != nil {
			return err
		}
		n, err := tx.WakeChat("tg:-100coord", t0.Add(time.Minute))
		if err != nil || n != 2 {
			t.Errorf("WakeChat = %d, %v; want 2", n, err)
		}
		return nil
	})
	mustConsistent(t, s)
	view(t, s, func(tx *Tx) error {
		due, _ := tx.Due(t0.Add(time.Minute), 0)
		if len(due) != 3 || due[0].ID != 1 || due[0].Attempts != 7 || due[0].LastError == "" || due[2].Kind != "digest" {
			t.Errorf("Due after WakeChat = %+v", due)
		}
		return nil
	})
}
