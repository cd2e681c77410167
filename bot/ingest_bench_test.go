package bot_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// chatterMessages are what most of an intake group's traffic looks like.
var chatterMessages = []string{
	"大家早上好，今天团购的菜到了吗",
	"谢谢志愿者送来的物资！",
	"有没有人知道几点开始发放物资",
	"我家有多余的退烧药可以分享",
	"good morning everyone, stay safe",
	"thanks all, we are fine now",
	"news: the bridge on route 5 reopened this afternoon",
	"楼下超市几点开门？",
	"收到，谢谢",
	"[图片]已经送到了",
}

// pleaMessages are the few requests among them.
var pleaMessages = []string{
	"外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话1391234%04d",
	"家里老人的降压药只剩两天了，求代购，宝山区，电话1381234%04d",
}

// ingestMessage is the i-th message of a chatter-heavy stream: one plea
// in 50, from 2,000 people in 8 intake groups.
func ingestMessage(i int) bot.Message {
	text := chatterMessages[i%len(chatterMessages)]
	if i%50 == 49 {
		text = fmt.Sprintf(pleaMessages[(i/50)%len(pleaMessages)], i%10000)
	}
	return bot.Message{
		Chat:       "console:intake" + strconv.Itoa(i%8),
		ID:         strconv.Itoa(i),
		Sender:     "console:u" + strconv.Itoa(i%2000),
		SenderName: "u" + strconv.Itoa(i%2000),
		Text:       text,
	}
}

func newIngestEngine(b *testing.B) (*bot.Engine, *store.Store) {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "lifeline.db"), store.Options{NoSync: os.Getenv("LIFELINE_BENCH_NOSYNC") != ""}) // fsync on unless asked
	if err != nil {
		b.Fatal(err)
	}
	groups := []bot.GroupBinding{{Chat: "console:volunteers", Role: store.RoleCoordination}}
	for i := range 8 {
		groups = append(groups, bot.GroupBinding{Chat: "console:intake" + strconv.Itoa(i), Role: store.RoleIntake})
	}
	e, err := bot.New(ctx, bot.Options{Store: st, Triage: triage.Default(), Language: "en", Groups: groups})
	if err != nil {
		b.Fatal(err)
	}
	e.AddPlatform(console.New(console.Options{Out: io.Discard}))
	return e, st
}

// BenchmarkIngestThroughEngine feeds n messages through the engine with the
// real store (fsync on) from a single goroutine, as an adapter does: pages
// of 100 through HandleBatch with the offset written in the same commit
// (Telegram's getUpdates page), or one HandleMessage at a time ("single",
// how every message was recorded before group commit). Each op is a whole
// run of n into a fresh store, so the rate includes the store's growth:
// run with -benchtime=1x. n=1M runs only with LIFELINE_BENCH_1M=1.
func BenchmarkIngestThroughEngine(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("LIFELINE_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("batch100/n=%d", n), func(b *testing.B) { benchIngest(b, n, 100) })
	}
	b.Run("single/n=2000", func(b *testing.B) { benchIngest(b, 2000, 1) })
}

func benchIngest(b *testing.B, n, page int) {
	ctx := context.Background()
	total := 0
	for range b.N {
		b.StopTimer()
		e, st := newIngestEngine(b)
		b.StartTimer()
		for i := 0; i < n; i += page {
			if page == 1 {
				if err := e.HandleMessage(ctx, ingestMessage(i)); err != nil {
					b.Fatal(err)
				}
				continue
			}
			msgs := make([]bot.Message, 0, page)
			for j := i; j < min(i+page, n); j++ {
				msgs = append(msgs, ingestMessage(j))
			}
			err := e.HandleBatch(ctx, bot.Batch{Messages: msgs, State: []bot.StateWrite{{Key: "bench:offset", Value: []byte(strconv.Itoa(i + page))}}})
			if err != nil {
				b.Fatal(err)
			}
		}
		total += n
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
}
