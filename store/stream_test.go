package store

import (
	"fmt"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// The deterministic message stream shared by the crash, race and
// benchmark tests.

// crashStream is the stream's length: far more than the crash test reaches.
const crashStream = 20000

func crashMsgKey(i int) MessageKey {
	return MessageKey{Chat: fmt.Sprintf("test:intake-%d", i%3), ID: fmt.Sprintf("m%05d", i)}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// crashMsg is message i of the stream: every fourth message shares a phone
// with another, every tenth is a near-duplicate repost of an earlier one,
// so the stream creates cases and merges into them.
func crashMsg(i int) IngestRequest {
	phone := fmt.Sprintf("138%08d", i)
	if i%4 == 0 {
		phone = fmt.Sprintf("139%08d", i/8)
	}
	fp := splitmix(uint64(i))
	if i%10 == 5 {
		fp = splitmix(uint64(i-5)) ^ (1 << (i % 64))
	}
	k := crashMsgKey(i)
	return IngestRequest{
		Msg: k, At: t0.Add(time.Duration(i) * time.Second), Merge: true,
		Case: Case{
			Asker: fmt.Sprintf("test:user%d", i%97), Text: fmt.Sprintf("plea %d: need help", i),
			Urgency: triage.Urgency(i % 4), Phones: []string{phone}, SourceChat: k.Chat, SourceMsg: k.ID,
			Assessment: triage.Assessment{IsRequest: true, Fingerprint: fp, Phones: []string{phone}},
		},
		Alerts: func(c *Case, merged bool) []OutboxItem { return crashAlerts(c, k) },
	}
}

// crashAlerts queues one alert per case and urgency level, and one
// acknowledgement per message (the case's latest source may be another
// message: a message ingested late is not the latest).
func crashAlerts(c *Case, msg MessageKey) []OutboxItem {
	last := Source{Chat: msg.Chat, Msg: msg.ID}
	return []OutboxItem{
		{Chat: "test:volunteers", Kind: "alert", DedupeKey: fmt.Sprintf("alert:%d:%s", c.ID, c.Urgency), Payload: []byte(fmt.Sprintf("#%d", c.ID))},
		{Chat: last.Chat, Kind: "reply", DedupeKey: "ack:" + last.Chat + "/" + last.Msg},
	}
}

// crashVolunteer delivers a few due outbox items and resolves every
// third case it looks at.
func crashVolunteer(n int) func(tx *Tx) error {
	return func(tx *Tx) error {
		due, err := tx.DueOutbox(t0.Add(crashStream*time.Second), 3)
		if err != nil {
			return err
		}
		for _, it := range due {
			if err := tx.CompleteOutbox(it.ID); err != nil {
				return err
			}
		}
		last := tx.b(bCases).Sequence()
		if last == 0 {
			return nil
		}
		c, err := tx.Case(int64(splitmix(uint64(n))%last) + 1)
		if err != nil || !c.Status.Open() || c.ID%3 != 0 {
			return err
		}
		from := c.Status
		c.Status, c.Updated, c.Finished = StatusResolved, c.Updated.Add(time.Minute), c.Updated.Add(time.Minute)
		if err := tx.PutCase(c); err != nil {
			return err
		}
		return tx.AppendEvent(&Event{Case: c.ID, At: c.Updated, Actor: "test:volunteer", Kind: "status", From: string(from), To: string(c.Status)})
	}
}
