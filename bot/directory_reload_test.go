package bot_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// The channel team saves the directory from Excel on a Chinese Windows:
// GBK, Chinese headers. The bot reads it, and reloads it on an edit
// without a restart; a broken edit keeps the loaded entries.
func TestDirectoryFileGBKChineseHeadersReloads(t *testing.T) {
	gbk := func(s string) string {
		out, err := simplifiedchinese.GBK.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	path := writeFile(t, "目录.csv", gbk("名称,类别,地区,联系电话,营业时间,状态,备注\r\n浦东透析中心,透析,浦东新区,021-11111111,8-20点,,\r\n"))
	h := newHarness(t, withDirectory(path))
	got := dirEntries(t, h.st)
	if len(got) != 1 || got[0].Name != "浦东透析中心" || got[0].District != "浦东新区" || got[0].Phone != "021-11111111" || got[0].Hours != "8-20点" {
		t.Fatalf("entries: %+v", got)
	}
	ctx := context.Background()
	if changed, err := h.e.ReloadDirectory(ctx); changed || err != nil {
		t.Errorf("an unchanged file reloaded: %v, %v", changed, err)
	}

	edit := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// Some file systems keep modification times to the second.
		later := time.Now().Add(time.Duration(len(content)) * time.Second)
		if err := os.Chtimes(path, later, later); err != nil {
			t.Fatal(err)
		}
	}
	edit(gbk("名称,类别,地区,联系电话\r\n浦东透析中心,透析,浦东新区,021-11111111\r\n徐汇宠物医院,宠物,徐汇区,021-22222222\r\n"))
	if changed, err := h.e.ReloadDirectory(ctx); !changed || err != nil {
		t.Fatalf("edit not reloaded: %v, %v", changed, err)
	}
	if got := dirEntries(t, h.st); len(got) != 2 || got[1].Name != "徐汇宠物医院" {
		t.Errorf("after the edit: %+v", got)
	}
	mustContain(t, h.say("[volunteers] admin: /find 宠物"), "徐汇宠物医院")

	edit("name,category\nA,\xff\n")
	if _, err := h.e.ReloadDirectory(ctx); err == nil || !strings.Contains(err.Error(), "not UTF-8 or GBK") {
		t.Errorf("broken edit: %v", err)
	}
	if got := dirEntries(t, h.st); len(got) != 2 {
		t.Errorf("a broken edit changed the directory: %+v", got)
	}
}
