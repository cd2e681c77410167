package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// CurrentSchema is the layout version this build writes.
//
//	0: the first layout: records only (cases, events, seen, people, chats,
//	   dir, outbox, outbox_dedupe, state), no secondary indexes, no
//	   dead-letter bucket, no "app" marker in meta.
//	1: secondary indexes (open by urgency with the fingerprint, stale,
//	   phone, asker, finished-for-retention, outbox due time) and the
//	   dead-letter bucket.
//	2: sources out of the case record (sources, idx_msg; the case keeps
//	   source_count and latest), seen-message expiry (seen_exp), case
//	   indexes by creation, finish and first response, status and
//	   category in the open and stale index values, outbox lanes (the due
//	   key starts with the lane) and the per-chat outbox index with dead
//	   letters (outbox_chat, outbox_dead_at).
const CurrentSchema = 2

// migrations[v] upgrades a file from schema v to v+1. Each runs inside the
// open transaction after every current bucket exists (empty if new), so a
// migration only fills or reshapes data; a failure rolls the whole file
// back to its old version. All of them run in one transaction, so a
// migration may leave to a later one what that one rebuilds anyway.
var migrations = map[int]func(*bolt.Tx) error{
	0: migrateV0,
	1: migrateV1,
}

// migrateV0 marks the file as Lifeline's. The indexes version 1
// introduced are rebuilt from the records by migrateV1, which always runs
// after it.
func migrateV0(btx *bolt.Tx) error {
	if err := btx.Bucket(bMeta).Put(keyApp, appName); err != nil {
		return fmt.Errorf("write app marker: %w", err)
	}
	return nil
}

// legacyCase is a case record as schema 1 wrote it, sources inside.
type legacyCase struct {
	Case
	Sources []Source `json:"sources,omitempty"`
}

// migrateV1 moves every case's sources to their own records and rebuilds
// every index from the records, in schema 2's forms.
//
// bbolt splits pages only at commit, so keys put in random order into
// one bucket in one transaction cost quadratic time (every put moves half
// of one huge in-memory page). Index entries are therefore gathered, sorted
// and put in key order (bulkPuts), which makes each put an append.
func migrateV1(btx *bolt.Tx) error {
	tx := &Tx{tx: btx}
	now := time.Now()
	// Indexes are derived data: drop them and write them again.
	for _, name := range [][]byte{bIdxOpen, bIdxStale, bIdxPhone, bIdxAsker, bIdxDone, bOutDue,
		bIdxMsg, bSources, bSeenExp, bIdxCreated, bIdxFinished, bIdxFirst, bOutChat, bDeadAt} {
		if err := btx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return fmt.Errorf("clear %s: %w", name, err)
		}
		if _, err := btx.CreateBucket(name); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	puts := bulkPuts{}
	// A bucket may not change under ForEach: list the keys first.
	ids, err := keysOf(btx.Bucket(bCases))
	if err != nil {
		return err
	}
	for _, k := range ids {
		var lc legacyCase
		if _, err := getJSON(btx.Bucket(bCases), k, &lc); err != nil {
			return err
		}
		c := &lc.Case
		c.SourceCount, c.Latest = 0, nil
		srcs := lc.Sources
		if len(srcs) == 0 && (c.SourceChat != "" || c.SourceMsg != "") {
			srcs = []Source{{Chat: c.SourceChat, Msg: c.SourceMsg, Sender: c.Asker, At: c.Created}}
		}
		for i, s := range srcs {
			s.Kind = SourceRepost
			switch {
			case i == 0:
				// The case's text is its first message's (an edit since
				// replaced it, but nothing older was kept).
				s.Kind, s.Text = SourceFirst, c.Text
				s.SenderName = c.AskerName
			case s.Sender != "" && s.Sender == c.Asker:
				s.Kind = SourceUpdate
			}
			if c.Purged {
				s.Text, s.Sender, s.SenderName = "", "", ""
			}
			c.SourceCount++
			s.Case, s.Seq = c.ID, uint64(c.SourceCount)
			// Case ids ascend, and so do their sources' keys.
			if err := putJSON(tx.b(bSources), sourceKey(c.ID, s.Seq), s); err != nil {
				return fmt.Errorf("case #%d: write source: %w", c.ID, err)
			}
			if s.Chat != "" && s.Msg != "" && !c.Purged {
				puts.add(bIdxMsg, seenKey(MessageKey{Chat: s.Chat, ID: s.Msg}), sourceKey(c.ID, s.Seq))
			}
			if c.Latest == nil || !s.At.Before(c.Latest.At) {
				c.Latest = latestOf(&s)
			}
		}
		if err := putJSON(tx.b(bCases), idKey(c.ID), c); err != nil {
			return fmt.Errorf("write case #%d: %w", c.ID, err)
		}
		for _, e := range caseIndex(c) {
			puts.add(e.bucket, e.key, e.val)
		}
	}
	if err := migrateSeen(btx, now, puts); err != nil {
		return err
	}
	ids, err = keysOf(btx.Bucket(bOutbox))
	if err != nil {
		return err
	}
	for _, k := range ids {
		it := new(OutboxItem)
		if _, err := getJSON(btx.Bucket(bOutbox), k, it); err != nil {
			return err
		}
		it.Priority = laneOf(it)
		if err := putJSON(tx.b(bOutbox), k, it); err != nil {
			return fmt.Errorf("write outbox item %d: %w", it.ID, err)
		}
		puts.add(bOutDue, dueKey(it.Priority, it.NextAt, it.ID), nil)
		puts.add(bOutChat, outChatKey(it.Chat, it.ID), chatEntry(pendingState(it), it.Priority, it.Created))
	}
	err = btx.Bucket(bDead).ForEach(func(k, v []byte) error {
		var d DeadLetter
		if _, err := getJSON(btx.Bucket(bDead), k, &d); err != nil {
			return err
		}
		id := binary.BigEndian.Uint64(k)
		puts.add(bOutChat, outChatKey(d.Item.Chat, id), chatEntry(stateDead, laneOf(&d.Item), d.At))
		puts.add(bDeadAt, timeIDKey(d.At, id), nil)
		return nil
	})
	if err != nil {
		return fmt.Errorf("index dead letters: %w", err)
	}
	return puts.flush(tx)
}

// bulkPuts gathers key/values per bucket to put them in key order.
type bulkPuts map[string][][2][]byte

func (p bulkPuts) add(bucket, k, v []byte) {
	if v == nil {
		v = []byte{}
	}
	p[string(bucket)] = append(p[string(bucket)], [2][]byte{bytes.Clone(k), bytes.Clone(v)})
}

// flush puts everything, each bucket's keys in order; of two equal keys
// the first added wins.
func (p bulkPuts) flush(tx *Tx) error {
	for name, kvs := range p {
		slices.SortStableFunc(kvs, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
		b := tx.b([]byte(name))
		for i, kv := range kvs {
			if i > 0 && bytes.Equal(kv[0], kvs[i-1][0]) {
				continue
			}
			if err := b.Put(kv[0], kv[1]); err != nil {
				return fmt.Errorf("fill %s: %w", name, err)
			}
		}
	}
	return nil
}

// migrateSeen fills the expiry index. Entries written without a time
// (schema 0) count from now.
func migrateSeen(btx *bolt.Tx, now time.Time, puts bulkPuts) error {
	seen := btx.Bucket(bSeen)
	var untimed [][]byte
	err := seen.ForEach(func(k, v []byte) error {
		at := now
		if len(v) == 8 {
			at = timeFromBits(binary.BigEndian.Uint64(v))
		} else {
			untimed = append(untimed, bytes.Clone(k))
		}
		puts.add(bSeenExp, seenExpKey(at, k), nil)
		return nil
	})
	if err != nil {
		return fmt.Errorf("index seen messages: %w", err)
	}
	for _, k := range untimed {
		if err := seen.Put(k, u64(timeBits(now))); err != nil {
			return fmt.Errorf("date seen message: %w", err)
		}
	}
	return nil
}

// keysOf copies a bucket's keys.
func keysOf(b *bolt.Bucket) ([][]byte, error) {
	var out [][]byte
	err := b.ForEach(func(k, _ []byte) error {
		out = append(out, bytes.Clone(k))
		return nil
	})
	return out, err
}
