package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/sheets"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// mapFlags collects repeated --map COLUMN=FIELD.
type mapFlags map[string]string

func (m mapFlags) String() string { return "" }

func (m mapFlags) Set(s string) error {
	col, field, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(col) == "" || strings.TrimSpace(field) == "" {
		return fmt.Errorf("want COLUMN=FIELD, got %q", s)
	}
	m[strings.TrimSpace(col)] = strings.TrimSpace(field)
	return nil
}

// interleaved lets flags follow the positional arguments
// ("import cases FILE --apply"), as people type them: it moves the
// positionals to the end. valued names the flags that take a value.
func interleaved(args []string, valued ...string) (flags, pos []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		for _, v := range valued {
			if name == v && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	return flags, pos
}

// newTriage builds the triage engine the configuration asks for.
func newTriage(cfg *config.Config) (*triage.Engine, error) {
	var extra []*triage.Lexicon
	if cfg.Triage.Lexicon != "" {
		lex, err := triage.LoadLexiconFile(cfg.Triage.Lexicon)
		if err != nil {
			return nil, fmt.Errorf("triage.lexicon: %w", err)
		}
		extra = append(extra, lex)
	}
	tri, err := triage.NewEngine(extra...)
	if err != nil {
		return nil, fmt.Errorf("triage: %w", err)
	}
	tri.SetPhoneRegion(cfg.Region())
	return tri, nil
}

// openOffline opens the database and an engine without platforms, for the
// import and scan tools. The running bot holds the database's lock, so
// these tools need it stopped; the error says so.
func openOffline(ctx context.Context, cfg *config.Config, stderr io.Writer) (*bot.Engine, *store.Store, error) {
	st, err := store.Open(ctx, dbPath(cfg), store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return nil, nil, fmt.Errorf("the database %s is in use by the running bot: stop the bot (import writes to the database, which only one process may open), import, then start it again; or, with the board on, import the file on its Import page (/board/import) while the bot runs", dbPath(cfg))
	}
	if err != nil {
		return nil, nil, err
	}
	tri, err := newTriage(cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e, err := bot.New(ctx, engineOptions(cfg, st, tri, log))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return e, st, nil
}

// runImport is `lifeline import cases FILE`: a dry run by default, the
// rows recorded as cases with --apply.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import")
	cfgPath := configFlag(fs)
	maps := mapFlags{}
	fs.Var(maps, "map", "COLUMN=FIELD: read COLUMN (a header or a column number) as FIELD; repeatable")
	apply := fs.Bool("apply", false, "record the rows (without it: a dry run)")
	alert := fs.Bool("alert", false, "alert the coordination chats about imported urgent open cases")
	flagArgs, pos := interleaved(args, "config", "map")
	if err := parseFlags(fs, "import", flagArgs); err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "cases" {
		return usageErr{"import: want `import cases FILE.xlsx|FILE.csv`"}
	}
	file := pos[1]
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	t, err := sheets.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	e, st, err := openOffline(ctx, cfg, stderr)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer st.Close()
	rep, err := e.ImportCases(ctx, t, bot.ImportOptions{Name: filepath.Base(file), Map: maps, Apply: *apply, Alert: *alert})
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	printImport(stdout, t, rep, *apply)
	if *apply && *alert && rep.Alerts > 0 {
		fmt.Fprintf(stdout, "%d alerts queued: the bot sends them when it starts.\n", rep.Alerts)
	}
	return nil
}

// printImport shows the mapping, each row's reading and the totals.
func printImport(w io.Writer, t *sheets.Table, rep *bot.ImportReport, applied bool) {
	fmt.Fprintln(w, "Columns:")
	for i, h := range t.Header {
		field := "(ignored)"
		for f, j := range rep.Mapping {
			if j == i {
				field = f
			}
		}
		fmt.Fprintf(w, "  %s → %s\n", h, field)
	}
	for _, r := range rep.Rows {
		switch {
		case r.Err != "":
			fmt.Fprintf(w, "line %d: skipped: %s\n", r.Line, r.Err)
		case r.Existing:
			fmt.Fprintf(w, "line %d: already imported as #%d\n", r.Line, r.ID)
		default:
			id := "new"
			if r.ID != 0 {
				id = fmt.Sprintf("#%d", r.ID)
			}
			text := []rune(strings.Join(strings.Fields(r.Case.Text), " "))
			if len(text) > 40 {
				text = append(text[:40], '…')
			}
			fmt.Fprintf(w, "line %d: %s %s %s %s %s\n", r.Line, id, r.Case.Urgency, r.Case.Status, r.Case.Category, string(text))
		}
	}
	verb := "would import"
	if applied {
		verb = "imported"
	}
	fmt.Fprintf(w, "%s %d new cases; %d already imported; %d rows skipped.\n", verb, rep.New, rep.Skipped, rep.Bad)
	if !applied && rep.New > 0 {
		fmt.Fprintln(w, "This was a dry run: add --apply to record them (the bot must be stopped; the board's Import page works while it runs).")
	}
}
