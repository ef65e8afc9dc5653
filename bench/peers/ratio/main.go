// Command ratio reads `go test -bench -benchmem` output on stdin and prints
// a table of medians (ns/op, B/op, allocs/op) with each benchmark's time as
// a multiple of the baseline's (default BenchmarkRestelSnapshot).
//
//	go test -run '^$' -bench . -benchmem -count 5 | go run ./ratio
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

type result struct {
	ns, bytes, allocs []float64
}

func main() {
	base := flag.String("base", "RestelSnapshot", "baseline benchmark name (without Benchmark prefix and -N suffix)")
	flag.Parse()
	order, res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratio:", err)
		os.Exit(2)
	}
	b, ok := res[*base]
	if !ok {
		fmt.Fprintf(os.Stderr, "ratio: no results for baseline %q\n", *base)
		os.Exit(2)
	}
	baseNS := median(b.ns)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "benchmark\truns\tns/op (median)\tB/op\tallocs/op\t× "+*base+"\t")
	for _, name := range order {
		r := res[name]
		ns := median(r.ns)
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t\n", name, len(r.ns), ns, median(r.bytes), median(r.allocs), ns/baseNS)
	}
	w.Flush()
}

// parse collects "BenchmarkName-N  iters  X ns/op  Y B/op  Z allocs/op"
// lines, passing every input line through to stderr.
func parse(r io.Reader) ([]string, map[string]*result, error) {
	res := map[string]*result{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(os.Stderr, line)
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		r := res[name]
		if r == nil {
			r = &result{}
			res[name] = r
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: %v", line, err)
			}
			switch f[i+1] {
			case "ns/op":
				r.ns = append(r.ns, v)
			case "B/op":
				r.bytes = append(r.bytes, v)
			case "allocs/op":
				r.allocs = append(r.allocs, v)
			}
		}
	}
	return order, res, sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
