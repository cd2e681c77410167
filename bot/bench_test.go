package bot_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// benchMessages is an intake mix: mostly chatter, some pleas of each kind.
var benchMessages = []string{
	"大家早上好，今天团购的菜到了吗",
	"谢谢志愿者送来的物资！",
	"有没有人知道几点开始发放物资",
	"我家有多余的退烧药可以分享",
	"外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话1391234%04d",
	"家里老人的降压药只剩两天了，求代购，宝山区，电话1381234%04d",
	"good morning everyone, stay safe",
	"Need groceries for my elderly mother, Block %d, call +44 7700 90%04d",
	"thanks all, we are fine now",
	"news: the bridge on route 5 reopened this afternoon",
}

// BenchmarkHandleIntake measures messages through the engine's intake path
// (triage, seen-record, case create-or-merge, alert queued) with the real
// store and fsync on, from parallel chats as several platforms would send.
func BenchmarkHandleIntake(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "lifeline.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	groups := []bot.GroupBinding{{Chat: "console:volunteers", Role: store.RoleCoordination}}
	for i := range 16 {
		groups = append(groups, bot.GroupBinding{Chat: fmt.Sprintf("console:intake%d", i), Role: store.RoleIntake})
	}
	e, err := bot.New(ctx, bot.Options{Store: st, Triage: triage.Default(), Language: "en", Groups: groups})
	if err != nil {
		b.Fatal(err)
	}
	e.AddPlatform(console.New(console.Options{Out: io.Discard}))
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8) // 16 goroutines on 2 cores: one per group, as platforms deliver
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			text := benchMessages[n%int64(len(benchMessages))]
			m := bot.Message{
				Chat:   fmt.Sprintf("console:intake%d", n%16), // 16 groups
				ID:     fmt.Sprint(n),
				Sender: fmt.Sprintf("console:u%d", n%500),
				Text:   fillNumbers(text, n),
			}
			if err := e.HandleMessage(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// fillNumbers puts n into a message's number slots, so pleas differ.
func fillNumbers(text string, n int64) string {
	switch strings.Count(text, "%") {
	case 0:
		return text
	case 1:
		return fmt.Sprintf(text, n%10000)
	}
	return fmt.Sprintf(text, n%100, n%10000)
}
