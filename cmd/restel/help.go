package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

func init() {
	register(command{
		name:    "help",
		summary: "show help for restel or one of its commands",
		usage:   "restel help [COMMAND]",
		run:     helpMain,
	})
}

// commandHelp is the text of `restel help CMD` beyond the synopsis and the
// flags: what the command does in a few lines, and examples.
var commandHelp = map[string]struct{ details, examples string }{
	"snapshot": {
		details: `Prints one snapshot of the device (CPU, memory, memory pressure,
process RSS, thermal state, battery) as one JSON object on stdout. A signal
that cannot be read is null, with a warning on stderr.`,
		examples: `restel snapshot
restel snapshot --pid 4242 --wait 1s`,
	},
	"replay": {
		details: `Replays a scripted trace on a fake clock, without sleeping, and prints
the run's usage summary as one JSON object (null for mode off). FILE - reads
standard input. With debug_local the raw samples are kept under the user
cache directory and their file is named on stderr.`,
		examples: `restel replay testdata/scripts/cpu-spike.trace
restel replay --mode summary:250ms - < my.trace`,
	},
	"run": {
		details: `Runs CMD, samples it and its descendants, and prints the usage summary
as one JSON object on stderr (or in --out FILE). restel exits with CMD's
status (128+N when CMD is killed by signal N; 127 when CMD is not found,
126 when it cannot be executed; a script without #! runs under /bin/sh).
SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to CMD, except a SIGINT
or SIGQUIT while restel and CMD are in the terminal's foreground: the
terminal already sent it to CMD.`,
		examples: `restel run -- python infer.py --model small
restel run --mode summary:250ms --out summary.json -- ./bench.sh`,
	},
	"watch": {
		details: `Shows the device's resource state live, redrawn in place, with a
one-minute history of CPU and available memory. Press q or Ctrl-C to quit.
With --json, or when stdout is not a terminal, prints one JSON snapshot per
line instead. NO_COLOR turns colour off; TERM=dumb turns off all escape
sequences.`,
		examples: `restel watch
restel watch --interval 500ms
restel watch --json | head -n 3`,
	},
	"serve": {
		details: `Serves the device's live resource state on /metrics in the Prometheus
text format, under the names the OpenTelemetry-to-Prometheus translation
gives (system_memory_linux_available_bytes, process_memory_usage_bytes,
restel_cpu_time_seconds_total{state="busy"|"idle"}, ...), read from the
cached snapshot. CPU is a counter of seconds: rate() of the busy state
over rate() of both is the utilization over any window. The default
address is loopback only; an address without a host (:9464) or a busy
one exits 2, and serving on every interface is said on stderr.
Connections are limited in number and time, so stalled clients cannot
starve a scraper. SIGINT and SIGTERM stop it with status 0.`,
		examples: `restel serve
restel serve --listen 0.0.0.0:9464
curl -s http://127.0.0.1:9464/metrics`,
	},
	"headroom": {
		details: `Prints what the device can still give the process as one JSON object:
the CPUs it can use at once (a fraction, with what binds it: the host, the
affinity mask, a cpuset or a cgroup quota, parents included), the share of
quota periods throttled, the memory a new allocation can take (host or
cgroup; reclaimable page cache is not "used"), the free memory of the
roomiest discrete accelerator, and the thermal headroom (1.0 = the severe
threshold) now and --forecast ahead. null where unknown.`,
		examples: `restel headroom
restel headroom --forecast 30s
restel headroom --procfs /host/proc --sysfs /host/sys --pid 4242`,
	},
	"fit": {
		details: `Says whether a model needing --mem of host memory (and --gpu-mem of
accelerator memory) fits now, as one JSON object naming what decided.
Exit status 0 when it fits, 1 when it does not or a figure it depends on is
unknown, 2 on bad input. On a device whose accelerators share host memory
the device need is added to the host need.`,
		examples: `restel fit --mem 4.5GiB
restel fit --mem 2GiB --gpu-mem 7GiB && ./serve-8b.sh || ./serve-3b.sh`,
	},
	"help": {
		details:  `Shows what restel or one of its commands does, its flags and examples.`,
		examples: `restel help run`,
	},
	"version": {
		details: `Prints one line from the binary's build information: "restel", the
module version (v1.2.3 for go install ...@v1.2.3; (devel) for a build from
a source tree), then, when the toolchain recorded them, the commit (12 hex
digits, -dirty for uncommitted changes) and its time, and last the Go version
that built it. A build without version control information (go run,
-buildvcs=false, a tree outside git) names no commit.`,
		examples: `restel version    # restel v1.2.3 go1.26.0
                  # restel (devel) 0123456789ab-dirty 2026-11-29T18:00:00Z go1.26.0`,
	},
}

// helpMain implements `restel help [COMMAND]`.
func helpMain(e env, args []string) int {
	fs := newFlagSet("help")
	if status, ok := parseFlags(e, fs, args); !ok {
		return status
	}
	switch fs.NArg() {
	case 0:
		return writeOut(e, mainHelp())
	case 1:
		c, ok := commands[fs.Arg(0)]
		if !ok {
			return usageErr(e, "help: unknown command %q; commands: %s", fs.Arg(0), commandNames())
		}
		// The command's own --help prints its flags from its real flag set.
		e.cmd = c.name
		return c.run(e, []string{"--help"})
	default:
		return usageErr(e, "help: unexpected argument %q: usage: restel help [COMMAND]", fs.Arg(1))
	}
}

// writeOut writes text on stdout through writeOutput: status 0, or
// exitIO with one line on stderr when stdout cannot be written.
func writeOut(e env, text string) int {
	name := e.cmd
	if name == "" {
		name = "help"
	}
	return writeOutput(e, name, "stdout", e.stdout, []byte(text))
}

// mainHelp is `restel --help`.
func mainHelp() string {
	var b strings.Builder
	b.WriteString(`restel: device resource telemetry around AI-inference runs.

Usage:
  ` + mainUsage + `

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, commands[n].summary)
	}
	b.WriteString(`
Run 'restel help COMMAND' or 'restel COMMAND --help' for a command's flags.

Examples:
  restel snapshot
  restel run -- python infer.py
  restel watch
`)
	return b.String()
}

// subcommandHelp is `restel CMD --help`, with CMD's flags from fs.
func subcommandHelp(fs *flag.FlagSet) string {
	name := fs.Name()
	var b strings.Builder
	fmt.Fprintf(&b, "restel %s: %s.\n\nUsage:\n  %s\n", name, commands[name].summary, synopsis(fs))
	h := commandHelp[name]
	if h.details != "" {
		b.WriteString("\n" + h.details + "\n")
	}
	var flags [][2]string
	width := 0
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flagArg(f)
		if a := usageArg(commands[name].usage, f.Name); a != "" {
			arg = a
		}
		left := "--" + f.Name
		if arg != "" {
			left += " " + arg
		}
		if !strings.Contains(usage, "(default") && !zeroDefault(f.DefValue) {
			usage += " (default " + f.DefValue + ")"
		}
		width = max(width, len(left))
		flags = append(flags, [2]string{left, usage})
	})
	if len(flags) > 0 {
		b.WriteString("\nFlags:\n")
		for _, f := range flags {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, f[0], f[1])
		}
	}
	if h.examples != "" {
		b.WriteString("\nExamples:\n")
		for line := range strings.Lines(h.examples) {
			b.WriteString("  " + strings.TrimSuffix(line, "\n") + "\n")
		}
	}
	return b.String()
}

// zeroDefault reports whether a flag's default is not worth printing.
func zeroDefault(v string) bool {
	switch v {
	case "", "0", "false", "0s":
		return true
	}
	return false
}

// flagArg returns the placeholder for f's value and its usage text: a
// back-quoted name in the usage (flag.UnquoteUsage), else one by type:
// DUR for a duration, N for a number, DIR for a string flag naming a root
// or directory, VALUE otherwise; "" for a boolean flag. The synopsis of a
// registered usage ("[--mode M]") wins over all of these.
func flagArg(f *flag.Flag) (arg, usage string) {
	arg, usage = flag.UnquoteUsage(f)
	if arg == "" || strings.Contains(f.Usage, "`") {
		return arg, usage
	}
	switch arg {
	case "duration":
		arg = "DUR"
	case "int", "uint", "float":
		arg = "N"
	case "string":
		arg = "VALUE"
		if strings.Contains(usage, "root") || strings.Contains(usage, "directory") {
			arg = "DIR"
		}
	default:
		arg = "VALUE"
	}
	return arg, usage
}

// usageArg returns the placeholder a synopsis gives flag name
// ("restel run [--mode M]" gives M for mode), or "".
func usageArg(synopsis, name string) string {
	fields := strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(synopsis))
	for i, f := range fields {
		if f == "--"+name && i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "-") {
			return fields[i+1]
		}
	}
	return ""
}
