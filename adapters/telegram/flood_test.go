package telegram

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/store"
)

// roomNumber finds the room a flood household lives in.
var roomNumber = regexp.MustCompile(`\d+室`)

// floodHousehold is the i-th household's plea: four templates, as the
// Shanghai groups passed them round, filled in with another building,
// room, person and phone each time.
func floodHousehold(i int) (text, phone string) {
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	name := string(surnames[i%len(surnames)])
	phone = fmt.Sprintf("139%08d", 30000+i*7919)
	building, room := i%30+1, 101+i
	switch i % 4 {
	case 0:
		text = fmt.Sprintf("【求助】%d号楼%d室%s奶奶，%d岁，降压药断了三天，头晕站不起来，小区封控出不去，求好心人帮忙买药，联系电话%s", building, room, name, 70+i%20, phone)
	case 1:
		text = fmt.Sprintf("紧急！%d号楼%d室%s爷爷突然昏迷不醒，叫不到救护车，求大家帮忙，家人电话%s", building, room, name, phone)
	case 2:
		text = fmt.Sprintf("求助：浦东川沙新镇路%d弄%d号%d室，家里宝宝才%d个月，奶粉只剩一天了，求帮忙，电话%s", 100+i, building, room, i%11+1, phone)
	default:
		text = fmt.Sprintf("透析病人求助：%d号楼%d室%s阿姨，尿毒症两周没透析了，人已经水肿，求帮忙联系透析中心，电话%s", building, room, name, phone)
	}
	return text, phone
}

// floodRepost is the j-th way people passed a plea on.
func floodRepost(j int, text, phone string) string {
	switch j % 5 {
	case 0:
		return "转自业主群：" + text
	case 1:
		return text + "（转自业主群）"
	case 2:
		return "扩散扩散！！🙏🙏🙏" + text + "🙏🙏🙏"
	case 3:
		return "急转 " + strings.ReplaceAll(strings.ReplaceAll(text, "联系电话"+phone, ""), "电话"+phone, "")
	default:
		return "【转发】" + text + " 求扩散"
	}
}

// TestFloodDistinctPeopleInCasesOut is the flood figure of issue #11: 250
// messages from 250 people through the fake Bot API — 200 households
// written from four templates and 50 reposts of them — must open 200
// cases, each repost merged into its household's case.
func TestFloodDistinctPeopleInCasesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test")
	}
	srv := telegramtest.NewServer(t)
	s := startStack(t, srv, filepath.Join(t.TempDir(), "lifeline.db"), nil, nil)
	const households, reposts = 200, 50
	var last int64
	texts := make([]string, households)
	phones := make([]string, households)
	person := int64(5000)
	for i := range households {
		texts[i], phones[i] = floodHousehold(i)
		person++
		last = srv.PushText(telegramtest.Group(intakeChats[i%3], "g"), telegramtest.User(person, "居民"), texts[i]).ID
	}
	for j := range reposts {
		h := j * 4 % households
		person++
		last = srv.PushText(telegramtest.Group(intakeChats[(j+1)%3], "g"), telegramtest.User(person, "热心人"), floodRepost(j, texts[h], phones[h])).ID
	}
	start := time.Now()
	waitWithin(t, 60*time.Second, "every message handled", func() bool { return s.a.LastHandled() == last })
	took := time.Since(start)
	var cases, sources, merged int
	wrong := map[string]int{}
	err := s.st.View(t.Context(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(c *store.Case) error {
			cases++
			sources += c.SourceCount
			if c.SourceCount > 1 {
				merged += c.SourceCount - 1
			}
			srcs, err := tx.Sources(c.ID)
			if err != nil {
				return err
			}
			// Every source of a case must be its household's words: each
			// household has a room number of its own.
			room := roomNumber.FindString(c.Text)
			for _, src := range srcs[1:] {
				if room == "" || !strings.Contains(src.Text, room) {
					wrong[fmt.Sprintf("#%d", c.ID)]++
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("flood: %d people, %d messages in (%d households, %d reposts) → %d cases, %d reposts merged, %d sources; handled in %s",
		households+reposts, households+reposts, households, reposts, cases, merged, sources, took.Round(time.Millisecond))
	if cases != households {
		t.Errorf("%d households opened %d cases, want %d", households, cases, households)
	}
	if merged != reposts {
		t.Errorf("%d reposts merged, want %d", merged, reposts)
	}
	if len(wrong) > 0 {
		t.Errorf("cases holding another household's words: %v", wrong)
	}
}
