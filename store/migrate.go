package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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
			if err := tx.putSource(c, &s); err != nil {
				return fmt.Errorf("case #%d: %w", c.ID, err)
			}
		}
		if err := tx.writeCase(nil, c); err != nil {
			return err
		}
	}
	if err := migrateSeen(btx, now); err != nil {
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
		if err := tx.putOutbox(it); err != nil {
			return err
		}
	}
	ids, err = keysOf(btx.Bucket(bDead))
	if err != nil {
		return err
	}
	for _, k := range ids {
		var d DeadLetter
		if _, err := getJSON(btx.Bucket(bDead), k, &d); err != nil {
			return err
		}
		id := binary.BigEndian.Uint64(k)
		lane := laneOf(&d.Item)
		if err := btx.Bucket(bOutChat).Put(outChatKey(d.Item.Chat, id), chatEntry(stateDead, lane, d.At)); err != nil {
			return fmt.Errorf("index dead letter %d: %w", id, err)
		}
		if err := btx.Bucket(bDeadAt).Put(timeIDKey(d.At, id), []byte{}); err != nil {
			return fmt.Errorf("index dead letter %d: %w", id, err)
		}
	}
	return nil
}

// migrateSeen fills the expiry index. Entries written without a time
// (schema 0) count from now.
func migrateSeen(btx *bolt.Tx, now time.Time) error {
	seen, exp := btx.Bucket(bSeen), btx.Bucket(bSeenExp)
	exp.FillPercent = 0.9
	var untimed [][]byte
	err := seen.ForEach(func(k, v []byte) error {
		at := now
		if len(v) == 8 {
			at = timeFromBits(binary.BigEndian.Uint64(v))
		} else {
			untimed = append(untimed, bytes.Clone(k))
		}
		return exp.Put(seenExpKey(at, k), []byte{})
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
