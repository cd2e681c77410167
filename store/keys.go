package store

import (
	"encoding/binary"
	"math"
	"math/bits"
	"time"
)

// Keys are built so that bbolt's byte order is the order the engine asks
// for: integers are big-endian, times are nanoseconds with the sign bit
// flipped (so times before 1970 still sort first), and variable-length
// parts are length-prefixed so one key can never be a prefix of another.

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func idKey(id int64) []byte { return u64(uint64(id)) }

func keyID(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// timeBits maps a time to an order-preserving uint64. The zero time maps to
// 0 so "no time set" sorts (and falls due) first.
func timeBits(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	// UnixNano is undefined outside about 1678..2262; clamp rather than wrap.
	switch {
	case t.Unix() <= math.MinInt64/int64(time.Second)+1:
		return 1
	case t.Unix() >= math.MaxInt64/int64(time.Second)-1:
		return math.MaxUint64
	}
	return uint64(t.UnixNano()) ^ (1 << 63)
}

// timeFromBits is timeBits's inverse (to the nanosecond, in UTC).
func timeFromBits(b uint64) time.Time {
	if b == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(b^(1<<63))).UTC()
}

// lpString appends a uvarint length and the string.
func lpString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// seenKey is len(chat) chat id: the chat is length-prefixed so that
// ("a","bc") and ("ab","c") can never collide.
func seenKey(k MessageKey) []byte {
	b := make([]byte, 0, len(k.Chat)+len(k.ID)+2)
	b = lpString(b, k.Chat)
	return append(b, k.ID...)
}

// refPrefix is the prefix of an index keyed by a string then a case id.
func refPrefix(s string) []byte { return lpString(make([]byte, 0, len(s)+10), s) }

func refKey(s string, id int64) []byte {
	return binary.BigEndian.AppendUint64(refPrefix(s), uint64(id))
}

// openKey orders open cases by urgency (highest first, hence the inverted
// byte), then by creation time (oldest first), then id.
func openKey(c *Case) []byte {
	b := make([]byte, 0, 17)
	b = append(b, 0xff-byte(c.Urgency))
	b = binary.BigEndian.AppendUint64(b, timeBits(c.Created))
	return binary.BigEndian.AppendUint64(b, uint64(c.ID))
}

// staleKey orders open cases by last update, oldest first.
func staleKey(c *Case) []byte {
	b := make([]byte, 0, 16)
	b = binary.BigEndian.AppendUint64(b, timeBits(c.Updated))
	return binary.BigEndian.AppendUint64(b, uint64(c.ID))
}

// doneKey orders finished, unpurged cases by when they finished (their
// last update when Finished was not set), for retention.
func doneKey(c *Case) []byte {
	done := c.Finished
	if done.IsZero() {
		done = c.Updated
	}
	b := make([]byte, 0, 16)
	b = binary.BigEndian.AppendUint64(b, timeBits(done))
	return binary.BigEndian.AppendUint64(b, uint64(c.ID))
}

// dueKey orders pending outbox items by lane (most urgent first), then
// next attempt time, then id.
func dueKey(lane Priority, t time.Time, id uint64) []byte {
	b := make([]byte, 0, 17)
	b = append(b, byte(lane))
	b = binary.BigEndian.AppendUint64(b, timeBits(t))
	return binary.BigEndian.AppendUint64(b, id)
}

// seenExpKey orders seen messages by when they were seen, for expiry.
func seenExpKey(at time.Time, sk []byte) []byte {
	b := make([]byte, 0, 8+len(sk))
	b = binary.BigEndian.AppendUint64(b, timeBits(at))
	return append(b, sk...)
}

// sourceKey files a case's sources under its id, in the order added.
func sourceKey(caseID int64, seq uint64) []byte {
	b := make([]byte, 0, 16)
	b = binary.BigEndian.AppendUint64(b, uint64(caseID))
	return binary.BigEndian.AppendUint64(b, seq)
}

// timeIDKey orders records by a time, then id.
func timeIDKey(t time.Time, id uint64) []byte {
	b := make([]byte, 0, 16)
	b = binary.BigEndian.AppendUint64(b, timeBits(t))
	return binary.BigEndian.AppendUint64(b, id)
}

// outChatKey files outbox items and dead letters under their chat.
func outChatKey(chat string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(refPrefix(chat), id)
}

// statusCode is the one-byte form of a status in index values.
func statusCode(s Status) byte {
	switch s {
	case StatusNew:
		return 1
	case StatusVerifying:
		return 2
	case StatusVerified:
		return 3
	case StatusInProgress:
		return 4
	case StatusResolved:
		return 5
	case StatusClosed:
		return 6
	}
	return 0
}

var statusByCode = [...]Status{"", StatusNew, StatusVerifying, StatusVerified, StatusInProgress, StatusResolved, StatusClosed}

func statusOfCode(b byte) Status {
	if int(b) < len(statusByCode) {
		return statusByCode[b]
	}
	return ""
}

// bands splits a 64-bit SimHash into four 16-bit bands. Two fingerprints
// within Hamming distance 3 differ in at most three bands, so they share
// at least one band exactly: looking up all four bands finds every
// near-duplicate. (Same contract as triage.Bands.)
func bands(fp uint64) [4]uint16 {
	return [4]uint16{uint16(fp >> 48), uint16(fp >> 32), uint16(fp >> 16), uint16(fp)}
}

// nearDuplicate reports whether two fingerprints are within Hamming
// distance 3 (same contract as triage.NearDuplicate).
func nearDuplicate(a, b uint64) bool { return bits.OnesCount64(a^b) <= 3 }

func popcount(x uint64) int { return bits.OnesCount64(x) }
