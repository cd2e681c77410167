// Command lifeline runs the Lifeline bot and its tools; `lifeline help`
// lists the commands. Exit status: 0 success, 1 failure, 2 a mistake on
// the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	// Embedded zone data: `timezone:` works in minimal containers too.
	_ "time/tzdata"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "help" || isHelpFlag(a):
			fmt.Fprint(stdout, usage)
			return 0
		case !strings.HasPrefix(a, "-"):
			cmd, args = a, args[1:]
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "run":
		err = runBot(ctx, args, stdin, stdout, stderr)
	case "eval":
		err = runEval(args, stdout)
	case "backup":
		err = runBackup(ctx, args, stdout, stderr)
	case "health":
		err = runHealth(ctx, args, stdout)
	case "import":
		err = runImport(ctx, args, stdout, stderr)
	case "scan":
		err = runScan(ctx, args, stdout, stderr)
	case "version":
		if err = noFlags("version", args); err == nil {
			fmt.Fprintln(stdout, readBuildInfo())
		}
	default:
		err = usageErr{fmt.Sprintf("unknown command %q", cmd)}
	}
	var u usageErr
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "lifeline: %v\nRun 'lifeline help' for the commands and their flags.\n", err)
		return 2
	}
	fmt.Fprintln(stderr, "lifeline:", err)
	return 1
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// usage is the one help text, for `lifeline help`, -h and --help, also
// after a command name.
const usage = `Lifeline: help-request triage for volunteer chat groups.

Usage:
  lifeline [run] [-config FILE]
        Run the bot until stopped (SIGTERM, Ctrl-C) or, with only the
        console platform, until its input ends. Without -config or
        $LIFELINE_CONFIG: the console platform and ./lifeline-data.
  lifeline eval -data FILE.tsv [-json] [-errors] [-lexicon FILE.yaml]
        Measure triage on labelled messages (TSV with text and label
        columns): per-class precision, recall, F1 and the confusion matrix.
        -json ends with one JSON line; -errors lists the rows it got wrong.
  lifeline backup [-config FILE] -o OUT
        Write a consistent copy of the database, also while the bot runs.
  lifeline health [-config FILE | -url URL] [-timeout 5s]
        Ask the running bot's /readyz (at http.listen): print each check,
        exit 0 when ready and 1 when not. For container health checks.
  lifeline import cases FILE.xlsx|FILE.csv [-config FILE] [--map COLUMN=FIELD]… [--apply] [--alert]
        Read a team's case sheet (headers in Chinese or English; CSV in
        UTF-8 or GBK), print how each row would become a case (a dry run),
        and with --apply record them, silently unless --alert. Importing
        the same rows again changes nothing. Stop the bot first: only one
        process may open the database.
  lifeline scan FILE [-config FILE] [-o OUT.xlsx|OUT.csv] [-import]
        Triage every message of a chat export (WeChat PC export text, a
        Telegram Desktop result.json, or console lines) and write the pleas,
        most urgent first, to OUT (default FILE-pleas.xlsx); -import also
        records them as cases (the bot must be stopped).
  lifeline version
        Print the version, commit and Go version.
  lifeline help
        Print this text (also -h, --help).

Exit status: 0 success, 1 failure, 2 a mistake on the command line.
`

// usageErr is a command-line mistake (exit status 2).
type usageErr struct{ msg string }

func (u usageErr) Error() string { return u.msg }

// newFlags returns a flag set that prints nothing itself: run prints a
// parse error once, with a pointer to the help text.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lifeline "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, turning a bad flag or a stray argument into a
// usage error (-h stays flag.ErrHelp).
func parseFlags(fs *flag.FlagSet, name string, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr{fmt.Sprintf("%s: %v", name, err)}
	}
	if fs.NArg() > 0 {
		if isHelpFlag(fs.Arg(0)) || fs.Arg(0) == "help" {
			return flag.ErrHelp
		}
		return usageErr{fmt.Sprintf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	return nil
}

func noFlags(name string, args []string) error { return parseFlags(newFlags(name), name, args) }

// configFlag is -config, defaulting to $LIFELINE_CONFIG (set in the
// container image, so `lifeline health` finds the same file as the bot).
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", os.Getenv("LIFELINE_CONFIG"), "configuration file")
}
