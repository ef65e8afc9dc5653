package main

import (
	"flag"

	"github.com/restel/restel/aggregate"
)

// runUsage is the synopsis quoted by `restel run` usage errors.
const runUsage = "restel run [--mode M] [--out FILE] -- CMD [ARGS...]"

// runConfig is a parsed `restel run` command line.
type runConfig struct {
	// mode is the --mode value; meaningful only when modeSet.
	mode aggregate.Mode
	// modeSet: --mode was given, so RESTEL_RESOURCE_TELEMETRY does not
	// apply (docs/contract.md §6).
	modeSet bool
	// out is the --out FILE path; empty means stderr.
	out string
	// argv is the command and its arguments.
	argv []string
	// modeArg says whether --mode's interval was clamped (runMain says so).
	modeArg modeFlag
}

// parseRunArgs parses `restel run` flags. Flags end at "--" or at the first
// argument that is not a flag, so `restel run -- ls -l` and
// `restel run ls -l` are the same; everything after is the command, passed
// through untouched. ok is false when the caller should return status.
func parseRunArgs(e env, args []string) (cfg runConfig, status int, ok bool) {
	fs := newFlagSet("run")
	modeArg := &modeFlag{mode: &cfg.mode}
	fs.Var(modeArg, "mode", "sampling mode: off, boundary, summary[:DUR] or debug_local[:DUR] (default summary:1s, or $RESTEL_RESOURCE_TELEMETRY)")
	fs.StringVar(&cfg.out, "out", "", "write the summary to FILE instead of stderr")
	if status, ok := parseFlags(e, fs, args); !ok {
		return cfg, status, false
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "mode":
			cfg.modeSet = true
		case "out":
			switch {
			case cfg.out == "":
				status = usageErr(e, "run: empty --out: want a file path")
			case cfg.out[0] == '-':
				// `--out -- CMD` would otherwise write a file named "--"
				// and take CMD's first word for the command; a file
				// whose name starts with '-' is still reachable as ./-x.
				status = usageErr(e, "run: --out %q looks like a flag: want a file path (write ./%s for a file of that name)", cfg.out, cfg.out)
			}
		}
	})
	if status != 0 {
		return cfg, status, false
	}
	cfg.argv = fs.Args()
	if len(cfg.argv) == 0 {
		return cfg, usageErr(e, "run: missing command: usage: %s", runUsage), false
	}
	if cfg.argv[0] == "" {
		return cfg, usageErr(e, "run: empty command name: usage: %s", runUsage), false
	}
	cfg.modeArg = *modeArg
	return cfg, 0, true
}
