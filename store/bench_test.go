package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// BenchmarkIngest measures ingesting messages that each create a case and
// queue two outbox items, with fsync on, from many goroutines at once as
// the bot's adapters do, so bbolt's Batch shares each commit.
func BenchmarkIngest(b *testing.B) {
	s := openTest(b, Options{})
	var n atomic.Int64
	b.SetParallelism(benchParallelism())
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			req := benchRequest(i)
			if _, err := s.Ingest(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	// CPU time per message is steadier than throughput on a shared machine.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
}

func benchRequest(i int) IngestRequest {
	c := benchCase(i)
	k := MessageKey{Chat: c.SourceChat, ID: c.SourceMsg}
	return IngestRequest{Msg: k, At: c.Created, Case: *c, Merge: true,
		Alerts: func(c *Case, _ bool) []OutboxItem { return crashAlerts(c, k) }}
}

var benchText = strings.Repeat("浦东新区某小区，老人独居，透析已经两周没做，家里没有药了，", 3)

// benchCase is a realistically sized case: a Chinese plea of about 100
// characters, its triage result, one source, a phone and an address.
func benchCase(i int) *Case {
	phone := fmt.Sprintf("13%09d", i)
	chat := fmt.Sprintf("wechat:浦东互助%d群", i%20)
	at := t0.Add(time.Duration(i) * time.Second)
	return &Case{
		Asker: fmt.Sprintf("wechat:wxid_%08d", i%50000), AskerName: "张阿姨",
		SourceChat: chat, SourceMsg: strconv.Itoa(i),
		Text: benchText + phone,
		Assessment: triage.Assessment{IsRequest: true, Urgency: triage.Urgency(i % 4), Category: triage.CatDialysis, Score: 7.5,
			Signals: []string{"透析", "两周没做", "老人"}, Phones: []string{phone}, Places: []string{"浦东新区"},
			Vulnerable: []string{"elderly"}, Durations: []string{"两周"}, Language: "zh", Fingerprint: splitmix(uint64(i))},
		Category: triage.CatDialysis, Urgency: triage.Urgency(i % 4), Status: StatusNew,
		Phones: []string{phone}, Address: "浦东新区XX路100弄", Language: "zh", Created: at, Updated: at,
	}
}

// benchDB builds (once, then reuses from the temp directory) a database of
// n cases ingested as the bot does — each with its seen message, created
// event and delivered alert and acknowledgement (whose dedupe keys stay) —
// 30% of them still open, and returns its path.
func benchDB(b *testing.B, n int) string {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lifeline-bench-%d-v%d-d.db", n, CurrentSchema))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".building"
	_ = os.Remove(tmp)
	s, err := Open(context.Background(), tmp, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	const perTx = 10000
	for i := 0; i < n; i += perTx {
		err := s.Update(context.Background(), func(tx *Tx) error {
			for j := i; j < min(n, i+perTx); j++ {
				req := benchRequest(j)
				if j%10 >= 3 {
					req.Case.Status, req.Case.Finished = StatusResolved, req.Case.Created.Add(time.Hour)
				}
				if _, err := tx.Ingest(req); err != nil {
					return err
				}
			}
			return completeDue(tx, t0.Add(time.Duration(n)*time.Second), 0)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d cases in %v", n, time.Since(start))
	return path
}

// BenchmarkOpenCasesByUrgency lists the first page (50) of open cases by
// urgency. LIFELINE_BENCH_CASES sets the number of cases (default 100000;
// the target is measured with 1000000, which takes a few minutes
// to build once).
func BenchmarkOpenCasesByUrgency(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("LIFELINE_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	path := benchDB(b, n)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	opened := time.Now()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	openMS := float64(time.Since(opened).Microseconds()) / 1000 // includes loading the fingerprint index
	defer s.Close()
	ctx := context.Background()
	// The first call after Open pays for mapping and faulting in the
	// pages it reads; report it apart from the steady state.
	first := time.Now()
	_ = s.View(ctx, func(tx *Tx) error { _, err := tx.OpenCases(50, nil); return err })
	firstMS := float64(time.Since(first).Microseconds()) / 1000
	b.ResetTimer()
	for b.Loop() {
		err := s.View(ctx, func(tx *Tx) error {
			cs, err := tx.OpenCases(50, nil)
			if err == nil && (len(cs) != 50 || cs[0].Urgency != triage.Critical) {
				err = fmt.Errorf("first page: %d cases", len(cs))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	var used int64
	_ = s.View(ctx, func(tx *Tx) error { used = tx.tx.Size(); return nil })
	// The file grows in 16 MB steps past the data; report both.
	b.ReportMetric(float64(fi.Size())*100000/float64(n), "file-bytes/100k-cases")
	b.ReportMetric(float64(used)*100000/float64(n), "data-bytes/100k-cases")
	b.ReportMetric(firstMS, "first-call-ms")
	b.ReportMetric(openMS, "open-ms")
}

// benchParallelism is goroutines per CPU for BenchmarkIngest
// (LIFELINE_BENCH_PARALLEL, default 64).
func benchParallelism() int {
	if v, err := strconv.Atoi(os.Getenv("LIFELINE_BENCH_PARALLEL")); err == nil && v > 0 {
		return v
	}
	return 64
}
