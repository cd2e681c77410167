package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// CurrentSchema is the layout version this build writes.
//
//	0: the first layout: records only (cases, events, seen, people, chats,
//	   dir, outbox, outbox_dedupe, state), no secondary indexes, no
//	   dead-letter bucket, no "app" marker in meta.
//	1: secondary indexes (open by urgency with the fingerprint, stale,
//	   phone, asker, finished-for-retention, outbox due time) and the
//	   dead-letter bucket.
const CurrentSchema = 1

// migrations[v] upgrades a file from schema v to v+1. Each runs inside the
// open transaction after every current bucket exists (empty if new), so a
// migration only fills or reshapes data; a failure rolls the whole file
// back to its old version.
var migrations = map[int]func(*bolt.Tx) error{
	0: migrateV0,
}

// migrateV0 builds the secondary indexes version 1 introduced from the
// records version 0 already had.
func migrateV0(btx *bolt.Tx) error {
	tx := &Tx{tx: btx}
	if err := btx.Bucket(bMeta).Put(keyApp, appName); err != nil {
		return fmt.Errorf("write app marker: %w", err)
	}
	err := btx.Bucket(bCases).ForEach(func(k, v []byte) error {
		c := new(Case)
		if err := json.Unmarshal(v, c); err != nil {
			return fmt.Errorf("decode case %x: %w", k, err)
		}
		return tx.writeCase(nil, c)
	})
	if err != nil {
		return fmt.Errorf("index cases: %w", err)
	}
	err = btx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
		it := new(OutboxItem)
		if err := json.Unmarshal(v, it); err != nil {
			return fmt.Errorf("decode outbox item %x: %w", k, err)
		}
		return btx.Bucket(bOutDue).Put(dueKey(it.NextAt, it.ID), []byte{})
	})
	if err != nil {
		return fmt.Errorf("index outbox: %w", err)
	}
	return nil
}
