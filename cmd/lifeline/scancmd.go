package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/chatexport"
	"github.com/lifeline-aid/lifeline/bot/sheets"
)

// runScan is `lifeline scan FILE`: triage every message of a chat export
// and write the pleas to a spreadsheet; -import records them as cases.
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan")
	cfgPath := configFlag(fs)
	out := fs.String("o", "", "output file, .xlsx or .csv (default: FILE-pleas.xlsx)")
	doImport := fs.Bool("import", false, "also record the pleas as cases (the bot must be stopped)")
	flagArgs, pos := interleaved(args, "config", "o")
	if err := parseFlags(fs, "scan", flagArgs); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr{"scan: want `scan FILE` (a WeChat export .txt, a Telegram result.json or console lines)"}
	}
	file := pos[0]
	if *out == "" {
		*out = strings.TrimSuffix(file, filepath.Ext(file)) + "-pleas.xlsx"
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".xlsx" && ext != ".csv" {
		return usageErr{fmt.Sprintf("scan: -o %s: want a .xlsx or .csv file", *out)}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	msgs, format, err := chatexport.Parse(data, strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), cfg.Location)
	if err != nil {
		return fmt.Errorf("scan %s: %w", file, err)
	}
	tri, err := newTriage(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d messages (%s export)\n", file, len(msgs), format)
	pleas := chatexport.Scan(msgs, tri, progressPrinter(stderr))

	f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600) // pleas hold phones and addresses
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if ext == ".csv" {
		err = chatexport.WriteCSV(f, pleas, cfg.Location)
	} else {
		err = chatexport.WriteXLSX(f, pleas, cfg.Location)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("scan: write %s: %w", *out, err)
	}
	counts := map[string]int{}
	for _, p := range pleas {
		counts[p.Assessment.Urgency.String()]++
	}
	fmt.Fprintf(stdout, "%d pleas in %d messages (critical %d, high %d, normal %d) written to %s\n",
		len(pleas), len(msgs), counts["critical"], counts["high"], counts["normal"], *out)
	if !*doImport {
		return nil
	}
	t := &sheets.Table{Header: chatexport.PleaHeader}
	for i, p := range pleas {
		t.Rows = append(t.Rows, p.Row(cfg.Location))
		t.Line = append(t.Line, i+2)
	}
	e, st, err := openOffline(ctx, cfg, stderr)
	if err != nil {
		return fmt.Errorf("scan -import: %w", err)
	}
	defer st.Close()
	rep, err := e.ImportCases(ctx, t, bot.ImportOptions{Name: filepath.Base(file), Apply: true})
	if err != nil {
		return fmt.Errorf("scan -import: %w", err)
	}
	fmt.Fprintf(stdout, "imported %d new cases; %d already imported.\n", rep.New, rep.Skipped)
	return nil
}

// progressPrinter shows progress as a bar redrawn in place on a terminal,
// and as a plain line every 10% otherwise (a log file or a pipe).
func progressPrinter(w io.Writer) func(done, total int) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	lastTenth := -1
	return func(done, total int) {
		if tty {
			const width = 30
			n := done * width / total
			fmt.Fprintf(w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
			if done == total {
				fmt.Fprintln(w)
			}
			return
		}
		if tenth := done * 10 / total; tenth != lastTenth {
			lastTenth = tenth
			fmt.Fprintf(w, "scanned %d/%d messages\n", done, total)
		}
	}
}
