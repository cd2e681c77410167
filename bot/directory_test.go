package bot_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// testDirectory is a channel team's file as Excel saves it: with a BOM,
// Chinese and English rows, a quoted cell with a comma, and one full entry.
const testDirectory = "\ufeffname,category,district,phone,hours,status,notes\r\n" +
	"浦东透析中心,透析,浦东新区,021-58881234,周一至周六 8:00-20:00,,接收外院透析病人\r\n" +
	"Xuhui Dialysis Centre,dialysis,徐汇区,021-64041234,24h,full,\r\n" +
	"徐汇宠物救助站,宠物,徐汇区,13900002222,9-18,,可临时寄养猫狗\r\n" +
	"长宁宠物医院,宠物,长宁区,021-62223333,,,\r\n" +
	"市民热线,热线,,12345,24小时,,\r\n" +
	"浦东保供团购,物资,浦东新区,13900003333,,,\"蔬菜包, 米面油\"\r\n"

// writeFile writes content to a new file in the test's temp dir.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// withDirectory loads the given directory file at start.
func withDirectory(path string) func(*bot.Options) {
	return func(o *bot.Options) { o.Workflow.DirectoryFile = path }
}

// dirEntries reads the stored directory.
func dirEntries(t *testing.T, st *store.Store) []store.DirEntry {
	t.Helper()
	var out []store.DirEntry
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		return tx.ForEachDirEntry(func(d *store.DirEntry) error { out = append(out, *d); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// reopen starts a second engine on the harness's store, as a restart would.
func reopen(h *harness, tweak ...func(*bot.Options)) (*bot.Engine, error) {
	opts := bot.Options{Store: h.st, Triage: triage.Default(), Now: h.now, Location: time.UTC, Language: "en",
		Logger: slog.New(slog.DiscardHandler), Admins: []string{"console:admin"}, Groups: defaultGroups,
		Outbox: bot.OutboxOptions{Jitter: func() float64 { return 0 }}}
	for _, f := range tweak {
		f(&opts)
	}
	e, err := bot.New(context.Background(), opts)
	if err == nil {
		e.AddPlatform(h.con)
	}
	return e, err
}

// lineWith returns the first output line containing s.
func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func TestFindMatchesCategoriesAcrossLanguages(t *testing.T) {
	h := newHarness(t, withDirectory(writeFile(t, "dir.csv", testDirectory)))
	// Anyone may search, in any chat; "透析" finds the entry filed as
	// "dialysis", and the full one comes last.
	out := h.say("[intake] 小李: /find 透析")
	mustContain(t, out, "[intake] lifeline:", "浦东透析中心", "021-58881234", "Xuhui Dialysis Centre")
	mustNotContain(t, out, "宠物", "市民热线")
	if strings.Index(out, "Xuhui Dialysis Centre") < strings.Index(out, "浦东透析中心") {
		t.Errorf("the full centre is listed before the open one:\n%s", out)
	}
	out = h.say("[@bob] bob: /find pet 徐汇")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], "徐汇宠物救助站") {
		t.Errorf("the pet rescue in 徐汇 is not first:\n%s", out)
	}
	// A quoted cell with a comma survived the CSV.
	mustContain(t, h.say("[intake] 小李: /find 米面油"), "浦东保供团购", "蔬菜包, 米面油")
}

func TestFindMissSuggestsWords(t *testing.T) {
	h := newHarness(t, withDirectory(writeFile(t, "dir.csv", testDirectory)))
	out := h.say("[intake] 小李: /find 律师")
	mustContain(t, out, `Nothing in the directory matches "律师"`, "透析", "宠物")
	out = h.say("[intake] 小李: /find")
	mustContain(t, out, "Usage: /find")
}

func TestFindEmptyDirectory(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.say("[intake] 小李: /find 医院"), "The directory is empty")
}

func TestDirAddStatusRemoveThenFind(t *testing.T) {
	h := newHarness(t)
	out := h.say("[volunteers] admin: /dir add 闵行药店 | 药店 | 闵行区 | 021-64001111 | 8:00-22:00 | 有胰岛素")
	mustContain(t, out, "✓ Added to the directory: [1] 闵行药店 · 药店 · 闵行区 · 021-64001111")
	// Category words map across languages: "pharmacy" finds a 药店.
	mustContain(t, h.say("[intake] 小李: /find pharmacy"), "闵行药店", "有胰岛素")
	mustContain(t, h.say("[volunteers] admin: /dir add 闵行药店 | 药店 | 闵行区"), "already in the directory as [1]")
	mustContain(t, h.say("[volunteers] admin: /dir status 1 暂停营业"), "✓ Directory entry updated", "暂停营业")
	if got := dirEntries(t, h.st); len(got) != 1 || got[0].Status != "暂停营业" {
		t.Fatalf("directory after status: %+v", got)
	}
	mustContain(t, h.say("[volunteers] admin: /dir rm 1"), "✓ Removed from the directory", "闵行药店")
	mustContain(t, h.say("[intake] 小李: /find 闵行药店"), "directory is empty")
	if !strings.Contains(h.logs.String(), "directory changed") {
		t.Error("directory changes are not logged")
	}
}

func TestDirRefusedAndMalformed(t *testing.T) {
	h := newHarness(t)
	out := h.say("[volunteers] bob: /dir add 黑药店 | 药店")
	mustContain(t, out, "needs the coordinator role")
	out = h.say("[intake] admin: /dir add 黑药店 | 药店")
	mustContain(t, out, "coordination chat")
	if got := dirEntries(t, h.st); len(got) != 0 {
		t.Fatalf("refused /dir changed the directory: %+v", got)
	}
	for line, want := range map[string]string{
		"[volunteers] admin: /dir add 只有名字":   "needs at least a name and a category",
		"[volunteers] admin: /dir":            "Usage: /dir",
		"[volunteers] admin: /dir frob 1":     `Unknown /dir action "frob"`,
		"[volunteers] admin: /dir rm abc":     `"abc" is not a directory entry number`,
		"[volunteers] admin: /dir status 1":   "Forms: /dir add",
		"[volunteers] admin: /dir rm 99":      "There is no directory entry [99]",
		"[volunteers] admin: /dir status 9 x": "There is no directory entry [9]",
	} {
		mustContain(t, h.say(line), want)
	}
}

func TestAlertCardListsDirectoryMatches(t *testing.T) {
	h := newHarness(t, withDirectory(writeFile(t, "dir.csv", testDirectory)))
	out := h.say("[intake] 王阿姨: 求助！我父亲需要透析，已经两周没透析了，浦东川沙，电话13812345678")
	mustContain(t, out, "case #1", "May help:", "浦东透析中心 · 浦东新区 · 021-58881234", "市民热线")
	// The full centre is left out, and so is everything not about dialysis.
	mustNotContain(t, out, "Xuhui Dialysis Centre", "宠物", "浦东保供团购")
	if strings.Index(out, "浦东透析中心") > strings.Index(out, "市民热线") {
		t.Errorf("the hotline is listed before the dialysis centre in the right district:\n%s", out)
	}
}

func TestDirectoryFileReloadUpserts(t *testing.T) {
	path := writeFile(t, "dir.csv", testDirectory)
	h := newHarness(t, withDirectory(path))
	if n := len(dirEntries(t, h.st)); n != 6 {
		t.Fatalf("loaded %d entries, want 6", n)
	}
	// A coordinator marks an entry full from chat; a restart with the same
	// file keeps that and adds nothing.
	mustContain(t, h.say("[volunteers] admin: /dir status 1 已满"), "已满")
	if _, err := reopen(h, withDirectory(path)); err != nil {
		t.Fatal(err)
	}
	got := dirEntries(t, h.st)
	if len(got) != 6 || got[0].Status != "已满" {
		t.Fatalf("after restart: %d entries, first %+v", len(got), got[0])
	}
	// The channel team edits the row: the file wins, still no duplicate.
	edited := strings.Replace(testDirectory, "021-58881234,周一至周六 8:00-20:00,,", "021-58889999,周一至周六 8:00-20:00,open,", 1)
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := reopen(h, withDirectory(path)); err != nil {
		t.Fatal(err)
	}
	got = dirEntries(t, h.st)
	if len(got) != 6 || got[0].Phone != "021-58889999" || got[0].Status != "open" {
		t.Fatalf("after file edit: %d entries, first %+v", len(got), got[0])
	}
}

func TestDirectoryFileShortRowsArePadded(t *testing.T) {
	h := newHarness(t, withDirectory(writeFile(t, "dir.csv", "name,category,district,phone,hours,status,notes\n长宁居委会,居委,长宁区\n")))
	got := dirEntries(t, h.st)
	if len(got) != 1 || got[0].District != "长宁区" || got[0].Phone != "" {
		t.Fatalf("short row: %+v", got)
	}
}

func TestBadDirectoryFileFailsStart(t *testing.T) {
	h := newHarness(t)
	for name, tc := range map[string]struct{ content, want string }{
		"unknown column": {"name,category,distrct\nA,医院,浦东\n", `line 1: unknown column "distrct"`},
		"no category":    {"name,district\nA,浦东\n", `line 1: no "category" column`},
		"empty name":     {"name,category\nA,医院\n,药店\n", "line 3: empty name"},
		"no category on": {"name,category\nA,医院\nB,\n", "line 3: B has no category"},
		"too many cells": {"name,category\nA,医院\nB,药店,extra\n", "line 3: 3 cells, but the header has 2 columns"},
		"bad quotes":     {"name,category\nA,医院\nB,\"药店\n", "line 3"},
		"duplicate":      {"name,category,district\nA,医院,浦东\nB,药店,\nA,医院,浦东\n", "line 4: A in \"浦东\" is already on line 2"},
		"not text":       {"name,category\nA,\xff\n", "line 2: not UTF-8 or GBK"},
		"empty":          {"", "empty"},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, "bad.csv", tc.content)
			_, err := reopen(h, withDirectory(path))
			if err == nil {
				t.Fatal("New accepted a bad directory file")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks the file name or %q", err, tc.want)
			}
		})
	}
	_, err := reopen(h, withDirectory(filepath.Join(t.TempDir(), "missing.csv")))
	if err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestAutoReplyIsOffByDefault(t *testing.T) {
	h := newHarness(t, withDirectory(writeFile(t, "dir.csv", testDirectory)))
	out := h.say("[intake] 小李: 求助：家里猫粮没了，徐汇区，有没有人能帮忙送点猫粮")
	mustNotContain(t, out, "[intake] lifeline")
}

func TestAutoReplyMatchesAndIsRateLimitedPerGroup(t *testing.T) {
	h := newHarness(t, withDirectory(writeFile(t, "dir.csv", testDirectory)), func(o *bot.Options) {
		o.Workflow.DirectoryAutoReply = true
		o.Workflow.AutoReplyEvery = 30 * time.Minute
	})
	out := h.say("[intake] 小李: 求助：家里猫粮没了，徐汇区，有没有人能帮忙送点猫粮")
	mustContain(t, out, "[intake] lifeline: Your request is recorded as case #1", "徐汇宠物救助站", "市民热线")
	mustNotContain(t, out, "透析")
	if strings.Index(out, "徐汇宠物救助站") > strings.Index(out, "长宁宠物医院") {
		t.Errorf("the entry in the asker's district is not first:\n%s", out)
	}
	// Within the interval the same group gets no second list...
	h.advance(5 * time.Minute)
	out = h.say("[intake] 小王: 求助：浦东新区家里猫粮没了，有没有人能帮忙送点猫粮")
	mustNotContain(t, out, "[intake] lifeline")
	// ...but another group does, and the first one again after the interval.
	out = h.say("[intake2] 小张: 求助：徐汇区家里狗粮没了，有没有人能帮忙送点狗粮")
	mustContain(t, out, "[intake2] lifeline: Your request is recorded as case #3")
	h.advance(26 * time.Minute)
	out = h.say("[intake] 小赵: 求助：长宁区家里兔粮没了，有没有人能帮忙送点宠物粮")
	mustContain(t, out, "[intake] lifeline: Your request is recorded")
	// An urgent plea gets volunteers, not a list in the group.
	h.advance(time.Hour)
	out = h.say("[intake] 王阿姨: 求助！我父亲需要透析，已经两周没透析了，浦东川沙，电话13812345678")
	mustContain(t, out, "[volunteers] lifeline:")
	mustNotContain(t, out, "[intake] lifeline")
}

func TestDirectoryRepliesInChinese(t *testing.T) {
	h := newHarness(t, withDirectory(writeFile(t, "dir.csv", testDirectory)), func(o *bot.Options) {
		o.Language = "zh"
	})
	mustContain(t, h.say("[intake] 小李: /find dialysis"), `名录中与 "dialysis" 相符的条目：`, "浦东透析中心")
	mustContain(t, h.say("[intake] 小李: /find 律师"), `名录里没有与 "律师" 相符的条目`)
	mustContain(t, h.say("[volunteers] admin: /dir add 只有名字"), "/dir add 至少需要名称和类别", "用法：")
	mustContain(t, h.say("[volunteers] admin: /dir rm 99"), "没有编号为 [99] 的名录条目")
}
