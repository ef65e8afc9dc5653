// Package fake is a scripted [provider.SnapshotProvider] for tests: it
// replays a trace (docs/contract.md §5) against an injected clock, with fault injection
// (failing reads, slow reads) in the spirit of database/sql's fakedb_test.go.
// It imports only the provider package and the standard library. Library
// packages never import it; the restel command does, to replay traces.
//
// # Trace format
//
// One event per line:
//
//	# comment; blank lines ignored
//	@0s    cpu=12.5 rss=100 avail=8000 total=16000 thermal=normal battery=80
//	@250ms cpu=90 rss=500 avail=1000 thermal=hot   # a trailing comment
//	@600ms error=sysfs read failed
//	@900ms cpu=- battery=78
//	@1.2s  end
//
// Every event line starts with @OFFSET, a Go duration (time.ParseDuration:
// 0s, 250ms, 1.2s, 1m30s) from the start of the run. Offsets are
// non-negative and never decrease; several lines may share an offset, and
// the last one wins. After the offset comes either the word end, alone, or
// one or more KEY=VALUE pairs separated by spaces or tabs:
//
//	cpu=PCT        system CPU use in percent, a plain decimal (12, 12.5)
//	               in [0, 100]
//	rss=MIB        process resident set, whole MiB
//	avail=MIB      available memory, whole MiB; never above total
//	total=MIB      total memory, whole MiB, at least 1
//	thermal=STATE  normal, warm, hot or critical
//	battery=PCT    battery charge, an integer in [0, 100]
//	pressure=P     native memory-pressure signal (PSI, memorystatus):
//	               unknown, normal, warn or critical
//	pcpu=PCT       the observed process's CPU use in percent of all CPUs,
//	               like cpu (the snapshot's ProcessCPUPct)
//	gpu_busy=PCT   the busiest accelerator's busy share, like cpu
//	gpu_mem=MIB    device memory in use, whole MiB; never above gpu_total
//	gpu_total=MIB  device memory, whole MiB, at least 1
//	pgpu_mem=MIB   device memory the observed process holds, whole MiB
//	cpu_stall=DUR  cumulative counters, Go durations (the snapshot's
//	mem_stall=DUR  Counters): pressure-stall "some" totals for cpu,
//	io_stall=DUR   memory and io, and the cgroup CPU quota's throttled
//	throttled=DUR  time; a counter never decreases
//	temp.NAME=C    temperature of sensor NAME in °C, a plain decimal
//	               with an optional leading -, in (-40, 150]
//	severe.NAME=C  its severe threshold (thermal headroom 1.0), likewise
//	throttling=B   true or false: a cooling device throttles the CPU,
//	               whatever the temperatures say
//	cpus=N         the CPUs the process may use, a plain decimal in
//	               (0, 65536]
//	delay=DUR      reads take DUR on the provider's clock
//	error=TEXT     reads fail with TEXT (the rest of the line)
//
// The value - sets any key but delay and error to unknown (pressure=- is
// pressure=unknown). All of them start unknown.
//
// Rules, decided so that nothing is guessed:
//
//   - A line changes only the keys it names; the others keep their values.
//     This holds for delay= too: a delay persists until a later line
//     changes it, and delay=0s clears it.
//   - error=TEXT takes the rest of the line, verbatim (a # in it is text,
//     not a comment), so it must be the last key; keys before it on the same
//     line are applied as usual. From that offset every read fails with
//     TEXT, until the next line without error= — any such line, even one
//     naming only delay=, ends the span. The values set during the span are
//     hidden while it lasts and visible after it.
//   - delay= combines with anything, error= included: a read in a span with
//     both first takes the delay, then fails.
//   - Outside error=TEXT, a word starting with # begins a comment that runs
//     to the end of the line.
//   - end ends the run; it stands alone after its offset, and only comments
//     and blank lines may follow it. Without it the run ends at the last
//     line's offset. Reads after the end see the final state.
//   - Trace values are readings, so they are checked, never clamped:
//     cpu, pcpu or gpu_busy outside [0, 100] or not a plain decimal (NaN,
//     Inf, 1e2, -3), battery above 100, total=0 or gpu_total=0 (write
//     total=- for unknown), avail above total and gpu_mem above gpu_total
//     (checked after each line), MiB counts above 2^40, a
//     negative counter and a counter below an earlier value of its own
//     (even across a span where it was unknown) are errors.
//   - A trace is bounded: lines up to [MaxLineLen] bytes, [MaxEvents]
//     event lines and [MaxSize] bytes in all. Longer input, such as a pipe
//     that never closes, is refused with an error naming the limit.
//
// Malformed input — a limit exceeded, a missing @offset, a bad or decreasing offset, an
// unknown or duplicate key, a bad number or enum, a line with no keys,
// anything after end, a trace with no events — is a *[SyntaxError] whose
// message is "NAME:LINE: problem" and which matches [ErrSyntax] under
// errors.Is.
//
// # Providers
//
// [New] replays a trace on a [Clock] (default [SystemClock], which inside a
// testing/synctest bubble is the bubble's fake clock): a read at clock time
// start+t sees [Trace.At](t), where start is the clock's time when New was
// called. The read's delay and error come from the state at the moment the
// read starts; the snapshot's CapturedAtMS is the clock's time after the
// delay. Only a delayed read consults its context: when ctx ends during (or
// before) the delay, the read returns the all-unknown snapshot and an error
// wrapping ctx.Err(). A failing read returns the all-unknown snapshot and an
// error wrapping [ErrInjected] whose message carries TEXT.
//
// The capacity keys (temp.NAME, severe.NAME, throttling, cpus) are not
// snapshot fields: they never change a snapshot or a summary. They are
// read by [Provider.ReadCapacity] (with avail as the host's memory
// limit), which [Provider.Capable] exposes as a provider.CapacityReader
// when the trace names any of them. NAME is 1 to [MaxSensorName]
// letters, digits, _, - or /; a trace names at most [MaxSensors] sensors;
// a sensor with a known temperature needs a known severe threshold
// (checked after each line); temp.NAME=- makes the sensor unreadable.
//
// A *[Provider] always implements [provider.ThermalReader] and
// [provider.BatteryReader] (subject to the same delay and error rules). By
// default Snapshot also reports thermal and battery; with
// [WithSlowSignals] it leaves them unknown, so only the slow-signal poller
// of an orchestrator can see them. To test a provider without these
// capabilities, hide them: provider.Func(p.Snapshot).
//
// [NewReplay] steers a provider on a [ManualClock] for replay.Run:
// Seek moves the clock to an offset, End is the run's length, and
// NextChange the next offset at which the trace says something new, so a
// replay aggregates the samples in between at once.
package fake
