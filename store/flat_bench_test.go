package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// flatMsg is message i of a chatter-heavy stream as an intake group
// produces it: 9 in 10 are chatter (only marked seen), 1 in 10 is a plea;
// a quarter of the pleas are reposts of one hot case (same phone, same
// text), the rest are new cases with their own phone and text.
func flatMsg(i int) (MessageKey, *IngestRequest) {
	k := MessageKey{Chat: fmt.Sprintf("wechat:浦东互助%d群", i%20), ID: strconv.Itoa(i)}
	if i%10 != 7 {
		return k, nil
	}
	at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
	phone, fp, u := fmt.Sprintf("13%09d", i), splitmix(uint64(i)), triage.Urgency(i%4)
	if (i/10)%4 == 0 {
		phone, fp, u = "13900000000", 0x0123456789abcdef, triage.Critical // the hot case
	}
	asker := fmt.Sprintf("wechat:wxid_%08d", i%50000)
	req := &IngestRequest{
		Msg: k, At: at, Merge: true,
		Case: Case{
			Asker: asker, AskerName: "张阿姨", SourceChat: k.Chat, SourceMsg: k.ID,
			Text: benchText + phone,
			Assessment: triage.Assessment{IsRequest: true, Urgency: u, Category: triage.CatDialysis, Score: 7.5,
				Signals: []string{"透析", "两周没做", "老人"}, Phones: []string{phone}, Places: []string{"浦东新区"},
				Vulnerable: []string{"elderly"}, Durations: []string{"两周"}, Language: "zh", Fingerprint: fp},
			Category: triage.CatDialysis, Urgency: u, Status: StatusNew,
			Phones: []string{phone}, Address: "浦东新区XX路100弄", Language: "zh", Created: at, Updated: at,
		},
	}
	req.Alerts = func(c *Case, merged bool) []OutboxItem {
		return []OutboxItem{
			{Chat: "wechat:volunteers", Kind: "alert", DedupeKey: fmt.Sprintf("alert:%d:%s", c.ID, c.Urgency), Payload: []byte(benchText)},
			{Chat: k.Chat, Kind: "reply", DedupeKey: "ack:" + k.Chat + "/" + k.ID, Payload: []byte("已登记")},
		}
	}
	return k, req
}

// flatBatch is how many messages one transaction takes: a getUpdates page.
const flatBatch = 64

// ingestFlat ingests messages [from, to) in pages of flatBatch, one
// UpdateBatch each (one function per message, as the engine hands them
// over), from one goroutine, and every 16 pages delivers the outbox as
// the worker would.
func ingestFlat(tb testing.TB, s *Store, from, to int) {
	ctx := context.Background()
	fns := make([]func(*Tx) error, 0, flatBatch)
	for i := from; i < to; i += flatBatch {
		fns = fns[:0]
		for j := i; j < min(to, i+flatBatch); j++ {
			k, req := flatMsg(j)
			if req == nil {
				at := t0.Add(time.Duration(j) * 100 * time.Millisecond)
				fns = append(fns, func(tx *Tx) error { _, err := tx.MarkSeen(k, at); return err })
				continue
			}
			fns = append(fns, func(tx *Tx) error { _, err := tx.Ingest(*req); return err })
		}
		errs, err := s.UpdateBatch(ctx, fns)
		if err == nil {
			err = errors.Join(errs...)
		}
		if err != nil {
			tb.Fatal(err)
		}
		if (i/flatBatch)%16 == 15 {
			err := s.Update(ctx, func(tx *Tx) error { return completeDue(tx, t0.Add(time.Duration(to)*time.Second), 0) })
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// BenchmarkIngestFlat ingests a chatter-heavy stream from one goroutine
// in batches of 64 with fsync on, and reports the rate, CPU time and
// bytes written over the last 10,000 messages at each size (flat means
// those match) and the file's bytes per message. Sizes: 10k and 100k; LIFELINE_BENCH_1M=1 adds
// 1M (minutes; run it by hand). The sub-benchmark's ns/op is one whole run.
func BenchmarkIngestFlat(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("LIFELINE_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				path := filepath.Join(b.TempDir(), "flat.db")
				s, err := Open(context.Background(), path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				const window = 10_000
				start := time.Now()
				ingestFlat(b, s, 0, n-window)
				st0 := s.db.Stats()
				mid, cpu0 := time.Now(), processCPU()
				ingestFlat(b, s, n-window, n)
				last, cpu := time.Since(mid), processCPU()-cpu0
				st := s.db.Stats()
				d := st.Sub(&st0)
				written := d.TxStats.GetPageAlloc()
				total := time.Since(start)
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				fi, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(n)/total.Seconds(), "msgs/s")
				b.ReportMetric(window/last.Seconds(), "last10k-msgs/s")
				b.ReportMetric(float64(cpu.Microseconds())/window, "last10k-cpu-µs/msg")
				b.ReportMetric(float64(fi.Size())/float64(n), "file-bytes/msg")
				// Bytes of pages committed per message: what the disk must
				// take, independent of how busy the machine is.
				b.ReportMetric(float64(written)/window, "last10k-written-bytes/msg")
			}
		})
	}
}

// BenchmarkIngestHotRepost measures one more repost merged into a case
// that already has 6,000 (each ingest its own transaction, fsync on), and
// reports the case record's size.
func BenchmarkIngestHotRepost(b *testing.B) {
	s := openTest(b, Options{})
	ctx := context.Background()
	hot := func(i int) IngestRequest {
		_, req := flatMsg(7)
		req.Msg.ID = "hot-" + strconv.Itoa(i)
		req.At = t0.Add(time.Duration(i) * time.Second)
		return *req
	}
	const reposts = 6000
	for i := 0; i <= reposts; i += 500 {
		err := s.Update(ctx, func(tx *Tx) error {
			for j := i; j < min(reposts+1, i+500); j++ {
				if _, err := tx.Ingest(hot(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	i := reposts + 1
	for b.Loop() {
		err := s.Update(ctx, func(tx *Tx) error {
			res, err := tx.Ingest(hot(i))
			if err == nil && !res.Merged {
				err = fmt.Errorf("repost %d not merged", i)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	var size int
	view(b, s, func(tx *Tx) error {
		size = len(tx.b(bCases).Get(idKey(1)))
		return nil
	})
	b.ReportMetric(float64(size), "record-bytes")
}
