package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/sheets"
)

// A sheet longer than one import transaction is recorded whole, counted
// once, and a second import of it records nothing.
func TestImportLongSheetInChunks(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	b.WriteString("编号,求助内容,联系电话\n")
	const rows = 450
	for i := range rows {
		fmt.Fprintf(&b, "R%d,%d号楼张奶奶降压药断了三天,139%08d\n", i, i+1, i)
	}
	b.WriteString("R-empty,,13900000000\n")
	table, err := sheets.ReadCSV([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep, err := h.e.ImportCases(ctx, table, bot.ImportOptions{Apply: true, Name: "sheet.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.New != rows || rep.Bad != 1 || rep.Skipped != 0 {
		t.Errorf("first import: new %d, bad %d, skipped %d; want %d, 1, 0", rep.New, rep.Bad, rep.Skipped, rows)
	}
	if n := h.countCases(); n != rows {
		t.Errorf("%d cases after the import, want %d", n, rows)
	}
	rep, err = h.e.ImportCases(ctx, table, bot.ImportOptions{Apply: true, Name: "sheet.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.New != 0 || rep.Skipped != rows {
		t.Errorf("re-import: new %d, skipped %d; want 0, %d", rep.New, rep.Skipped, rows)
	}
	if n := h.countCases(); n != rows {
		t.Errorf("%d cases after the re-import, want %d", n, rows)
	}
}
