package main

import (
	"flag"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/replay"
)

func init() {
	register(command{
		name:    "replay",
		summary: "replay a scripted trace and print its usage summary",
		usage:   replayUsage,
		run:     runReplay,
	})
}

// replayUsage is the synopsis quoted by `restel replay` usage errors.
const replayUsage = "restel replay [--mode M] FILE|-"

// runReplay implements `restel replay [--mode M] FILE|-` (docs/contract.md §6): it
// replays the trace (docs/contract.md §5) on a fake clock, without sleeping, and prints
// one JSON value on stdout: the usage summary, or null for mode off. The
// flag may come before or after FILE; a FILE of - reads the trace from
// standard input (up to fake.MaxSize bytes and fake.MaxEvents event lines,
// like a file). DebugLocal keeps the raw samples under
// stream.DefaultDebugDir and names the file on stderr. An interrupted
// replay prints nothing on stdout and exits 1.
func runReplay(e env, args []string) int {
	fs := newFlagSet("replay")
	mode := aggregate.Mode{Kind: aggregate.Summary}.Normalized()
	modeArg := &modeFlag{mode: &mode}
	fs.Var(modeArg, "mode", "sampling mode: off, boundary, summary[:DUR] or debug_local[:DUR]")
	files, status, ok := parseInterspersed(e, fs, args)
	if !ok {
		return status
	}
	switch len(files) {
	case 0:
		return usageErr(e, "replay: missing trace FILE (or - for standard input): usage: %s", replayUsage)
	case 1:
	default:
		return usageErr(e, "replay: unexpected argument %q after %q: usage: %s", files[1], files[0], replayUsage)
	}
	var tr *fake.Trace
	var err error
	if files[0] == "-" {
		tr, err = fake.Parse("<stdin>", e.stdin)
	} else {
		tr, err = fake.ParseFile(files[0])
	}
	if err != nil {
		return usageErr(e, "replay: %v", err)
	}
	modeArg.noteClamped(e, "replay")
	res, err := replay.Run(e.ctx, fake.NewReplay(tr), mode)
	if res.DebugPath != "" {
		note(e, "replay: raw samples written to %s", res.DebugPath)
	}
	if res.DebugErr != nil {
		note(e, "replay: warning: %v", res.DebugErr)
	}
	if err != nil {
		note(e, "replay: %v", err)
		return 1
	}
	var out []byte
	if u, ok := res.Summary, res.HasSummary; ok {
		out = u.AppendJSON(make([]byte, 0, 256))
	} else {
		out = []byte("null")
	}
	out = append(out, '\n')
	return writeOutput(e, "replay", "stdout", e.stdout, out)
}

// parseInterspersed parses fs's flags wherever they appear among the
// positional arguments (`--mode M FILE` and `FILE --mode M` alike) and
// returns the positional arguments. Everything after "--" is positional.
func parseInterspersed(e env, fs *flag.FlagSet, args []string) (pos []string, status int, ok bool) {
	for {
		if status, ok := parseFlags(e, fs, args); !ok {
			return nil, status, false
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), 0, true
		}
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
