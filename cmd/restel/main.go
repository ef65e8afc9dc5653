// Command restel is the command-line face of the restel library: live
// snapshots, trace replay, sampling a child process and a live view
// (docs/contract.md §6).
//
//	restel snapshot [--procfs DIR] [--sysfs DIR] [--pid N] [--wait DUR]
//	restel replay [--mode M] FILE|-
//	restel run [--mode M] [--out FILE] -- CMD [ARGS...]
//	restel watch [--interval DUR] [--json]
//	restel serve [--listen ADDR]
//	restel headroom [--procfs DIR] [--sysfs DIR] [--pid N] [--forecast DUR] [--wait DUR]
//	restel fit --mem SIZE [--gpu-mem SIZE] [--procfs DIR] [--sysfs DIR] [--pid N] [--wait DUR]
//	restel help [COMMAND]
//	restel version
//
// restel --help, restel help and restel COMMAND --help print help on
// stdout with status 0; restel --version is restel version. Bad input
// (unknown flag, bad mode, unreadable file, parse error) prints a one-line
// error on stderr and exits with status 2, with nothing on stdout.
// Warnings and errors on stderr all read "restel: COMMAND: message".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
)

// env is what a subcommand may touch, so tests run it in-process.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// cmd is the running subcommand's name ("" before one is chosen); the
	// CLI's warnings say it (see cliLogger).
	cmd string
}

// command is one subcommand. It returns the process exit status.
type command struct {
	name    string
	summary string
	// usage is the synopsis quoted by --help and usage errors
	// ("restel replay [--mode M] FILE|-"); empty means one built from the
	// flag set.
	usage string
	run   func(e env, args []string) int
}

// commands is filled by each subcommand's file at init; it is never
// modified after main starts.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// exitUsage is the status for bad input (docs/contract.md §6).
const exitUsage = 2

// usageErr prints a one-line error naming the problem and returns exit
// status 2. What a terminal would act on is escaped (see cliLine).
func usageErr(e env, format string, args ...any) int {
	cliLine(e, fmt.Sprintf(format, args...))
	return exitUsage
}

// note prints a one-line note on stderr ("restel: replay: raw samples
// written to ...") without failing the command.
func note(e env, format string, args ...any) { _ = usageErr(e, format, args...) }

// exitIO is the status of an I/O error: output restel was asked to write
// (stdout, --out FILE) could not be written.
const exitIO = 1

// writeOutput writes b, a command's whole output, to w. A failed or short
// write prints one line on stderr naming the command and the destination
// ("restel: replay: write stdout: no space left on device") and returns
// exitIO; otherwise it returns 0.
func writeOutput(e env, cmd, dest string, w io.Writer, b []byte) int {
	n, err := w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		note(e, "%s: write %s: %v", cmd, dest, unwrapPath(err))
		return exitIO
	}
	return 0
}

// unwrapPath drops the *fs.PathError around a write error: "write
// /dev/stdout: no space left on device" says the path twice once the
// caller has named the destination.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// mainUsage is the synopsis of restel itself.
const mainUsage = "restel COMMAND [ARGS...]"

// newFlagSet returns a flag set that reports errors through usageErr
// instead of printing usage text or exiting.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError) // usageErr adds "restel: "
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args, turning a flag error into the one-line form.
// ok is false when the caller should return status.
func parseFlags(e env, fs *flag.FlagSet, args []string) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return writeOut(e, subcommandHelp(fs)), false
		}
		return usageErr(e, "%s: %s", fs.Name(), flagErr(fs, err)), false
	}
	return 0, true
}

// flagErr is the flag package's error message with each flag spelled as
// the help spells it, --name, where the package writes -name.
func flagErr(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	for _, p := range []string{"flag provided but not defined: ", "flag needs an argument: ", "invalid boolean flag "} {
		if rest, ok := strings.CutPrefix(msg, p); ok {
			return p + "--" + strings.TrimLeft(rest, "-")
		}
	}
	// "invalid value %q for flag -NAME: ..." and "invalid boolean value
	// %q for -NAME: ...": NAME is a defined flag.
	fs.VisitAll(func(f *flag.Flag) {
		for _, form := range []string{" for flag -", " for -"} {
			if old := form + f.Name + ": "; strings.Contains(msg, old) {
				msg = strings.Replace(msg, old, " for --"+f.Name+": ", 1)
				return
			}
		}
	})
	return msg
}

// synopsis returns the usage line of the subcommand fs parses: its
// registered usage, or "restel NAME [--flag TYPE]..." built from fs.
func synopsis(fs *flag.FlagSet) string {
	if u := commands[fs.Name()].usage; u != "" {
		return u
	}
	parts := []string{"restel", fs.Name()}
	fs.VisitAll(func(f *flag.Flag) {
		if name, _ := flagArg(f); name != "" {
			parts = append(parts, "[--"+f.Name+" "+name+"]")
		} else {
			parts = append(parts, "[--"+f.Name+"]")
		}
	})
	return strings.Join(parts, " ")
}

func realMain(e env, args []string) int {
	if len(args) == 0 {
		return usageErr(e, "missing command: usage: %s; commands: %s", mainUsage, commandNames())
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		return usageErr(e, "unknown command %q: usage: %s; commands: %s", name, mainUsage, commandNames())
	}
	e.cmd = c.name
	return c.run(e, args[1:])
}

func commandNames() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func main() {
	catchSIGPIPE()
	e := env{ctx: context.Background(), stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(realMain(e, os.Args[1:]))
}
