// Package store owns Lifeline's bbolt file: cases, their audit log, people,
// chats, the channel directory, seen messages, the outbox and small
// key/value state. Nothing else opens the file.
//
// # Layout
//
// Records are JSON values (simple to inspect with `bbolt get`) under
// big-endian integer or string keys, one bucket per record type. Secondary
// indexes are buckets of keys (a few with a short value) written in the
// same transaction as their record, so they can never disagree with it
// after a crash:
//
//   - idx_open: open cases by urgency (highest first), then creation
//     time; the value is the case's text fingerprint, status and category
//   - idx_stale: open cases by last update (value: urgency, status)
//   - idx_created, idx_finished, idx_first: cases by creation, finish and
//     first response time, for reports over a period (Tx.QueryCases)
//   - idx_phone, idx_asker: unpurged cases by phone number (the value
//     says whether the case is open) and by asker
//   - idx_done: finished cases not yet purged, by finish time (retention)
//   - sources: every message of a case under (case id, sequence), with
//     its text; the case record keeps only a count and the latest, so its
//     size does not grow with reposts. idx_msg maps a message to its source
//   - seen_exp: seen messages by the time they were seen (expiry)
//   - outbox_due: pending outbox items by lane (alerts, replies, bulk),
//     then next attempt time; outbox_chat: pending items and dead letters
//     by chat, with their state (queued, stuck, dead); outbox_dead_at:
//     dead letters by when they were given up on (retention)
//
// Every index a periodic job reads is ordered by the time it asks about,
// so purges and reports read only what is due, never every record.
//
// Near-duplicate lookup splits each open case's 64-bit SimHash into four
// 16-bit bands: two fingerprints within Hamming distance 3 share at least
// one band, so four lookups find every candidate. That band index is kept
// in memory, rebuilt from idx_open when the file is opened and changed
// only by committed transactions (see fpindex.go); on disk it would cost
// four randomly placed keys per case, about half of an ingest.
//
// The meta bucket holds the schema version. Open upgrades an older file
// by running, in one transaction, the migration registered for each
// version (a map from version to func(*bbolt.Tx) error) up to
// CurrentSchema; testdata/v0.db is a file written in version 0's layout,
// and the tests write a version 1 file themselves.
//
// # Ingestion
//
// Tx.Ingest records an incoming message, creates or merges its case and
// queues its alerts in one transaction, and a message seen before changes
// nothing; outbox dedupe keys are remembered after delivery, so neither a
// crash nor a redelivered update ever queues an alert twice. Which open
// case a message joins is the engine's rule (IngestRequest.Decide): the
// store finds the candidates (same phone, near-duplicate text) and does
// what the rule says: merge, link both cases, or neither. Every step costs
// the same however large the file is.
//
// Store.UpdateBatch and Store.IngestBatch record a page of messages (a
// getUpdates page, console lines) in one transaction with one fsync, and
// a message that fails changes nothing and fails alone. Store.Ingest runs
// a single message through bbolt's Batch, so concurrent callers share a
// commit.
//
// # Backup and restore
//
// The running bot holds an exclusive lock on the file, so another process
// cannot open it. Store.Backup and Store.BackupFile copy it from inside
// the bot without stopping writes (one read transaction, a consistent
// snapshot); ServeBackups offers that copy on a unix socket and
// RequestBackup (behind `lifeline backup -o OUT`) fetches it. When the bot
// is not running, copying the file with cp is also a valid backup.
//
// To restore: stop the bot, move the database file in data_dir aside,
// copy the backup file in its place (same name, readable and writable by
// the bot's user), and start the bot. Messages received after the backup
// was taken are not in it; outbox items pending in the backup are sent
// when the bot starts.
package store
