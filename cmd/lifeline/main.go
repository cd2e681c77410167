// Command lifeline runs the Lifeline bot and its tools.
//
//	lifeline [run] [-config FILE]        run the bot (default: console, ./lifeline-data)
//	lifeline eval -data FILE.tsv [-json]  measure triage on labelled messages
//	lifeline backup [-config FILE] -o OUT hot backup of the database
//	lifeline version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Embedded zone data: `timezone:` works in minimal containers too.
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "run":
		err = runBot(ctx, args, stdin, stdout, stderr)
	case "eval":
		err = runEval(args, stdout, stderr)
	case "backup":
		err = runBackup(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "lifeline", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "lifeline: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "lifeline:", err)
		var u usageErr
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}

const usage = `Usage:
  lifeline [run] [-config FILE]           run the bot (without -config: console platform, ./lifeline-data)
  lifeline eval -data FILE.tsv [-json]    measure triage on labelled messages
  lifeline backup [-config FILE] -o OUT   hot backup of the database (works while the bot runs)
  lifeline version                        print the version
`

// usageErr is a command-line mistake (exit status 2).
type usageErr struct{ msg string }

func (u usageErr) Error() string { return u.msg }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lifeline "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
