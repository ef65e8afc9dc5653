//go:build !ios

package main

import (
	"fmt"
	"strings"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// Keys of the summary's mode fields, written from Usage.Mode.
const (
	keyMode     = "sampling_mode"
	keyInterval = "sampling_interval_ms"
)

// source returns the snapshot field a summary row folds.
func source(f aggregate.SummaryField) provider.Field {
	sf, ok := provider.SnapshotField(f.Of)
	if !ok {
		panic(fmt.Sprintf("fieldgen: %s folds %q, which is no snapshot field", f.Key, f.Of))
	}
	return sf
}

// ident is a Go field path as one identifier ("Counters.CPUStall" →
// "CountersCPUStall").
func ident(name string) string { return strings.ReplaceAll(name, ".", "") }

func genAggregate(g *gen) {
	rows := aggregate.SummaryFields()
	g.p(header)
	g.p("package aggregate\n")
	g.p("import (\n\"strconv\"\n\n\"github.com/restel/restel/provider\"\n)\n")

	g.p("// summaryAccess reaches the Usage field of each row of summaryFields;")
	g.p("// the mode's rows have none.")
	g.p("var summaryAccess = [len(summaryFields)]provider.Access[Usage]{")
	for _, f := range rows {
		if f.Name == "" {
			g.p("{}, // %s", f.Key)
			continue
		}
		m, typ := accessor(f.Type, "provider.")
		g.p("{%s: func(u *Usage) *%s { return &u.%s }}, // %s", m, typ, f.Name, f.Key)
	}
	g.p("}\n")

	g.p("func init() {")
	g.p("for i := range summaryFields {")
	g.p("summaryFields[i].Get = summaryAccess[i]")
	g.p("}\n}\n")

	// The encoder.
	g.p("// appendWire appends u, already in wire form, as its JSON object.")
	g.p("func (u *Usage) appendWire(dst []byte) []byte {")
	g.lit = "{"
	for i, f := range rows {
		sep := ","
		if i == 0 {
			sep = ""
		}
		switch f.Key {
		case keyMode:
			g.lit += sep + `"` + f.Key + `":"`
			g.flush()
			g.p("dst = append(dst, u.Mode.WireLabel()...)")
			g.lit = `"`
		case keyInterval:
			g.flush()
			g.p("if u.Mode.Sampled() {")
			g.p("dst = append(dst, `%s\"%s\":`...)", sep, f.Key)
			g.p("dst = strconv.AppendInt(dst, u.Mode.Interval.Milliseconds(), 10)")
			g.p("}")
		default:
			g.lit += sep
			g.appendValue(f.Key, f.Type, "u."+f.Name, "provider.")
		}
	}
	g.lit += "}"
	g.flush()
	g.p("return dst\n}\n")

	g.p("// wireFields applies the wire rule of each field's own type.")
	g.p("func (u *Usage) wireFields() {")
	for _, f := range rows {
		if f.Name != "" {
			g.wireRule(f.Type, false, "u."+f.Name, "provider.")
		}
	}
	g.p("}\n")

	// The levels: Max, Min, Worst, Last.
	g.p("// levels are the running values of the fields folded level by level.")
	g.p("type levels struct {")
	for _, f := range rows {
		switch f.Fold {
		case aggregate.Max, aggregate.Min, aggregate.Worst, aggregate.Last:
			_, typ := accessor(source(f).Type, "provider.")
			g.p("%s %s // %s", f.Name, typ, f.Key)
		}
	}
	g.p("}\n")
	g.p("// fold folds in the levels of s.")
	g.p("func (l *levels) fold(s *provider.Snapshot) {")
	for _, f := range rows {
		x, y := "s."+source0(f), "l."+f.Name
		switch f.Fold {
		case aggregate.Max:
			g.p("if %s.Valid && (!%s.Valid || %s.V > %s.V) { %s = %s }", x, y, x, y, y, x)
		case aggregate.Min:
			g.p("if %s.Valid && (!%s.Valid || %s.V < %s.V) { %s = %s }", x, y, x, y, y, x)
		case aggregate.Worst:
			g.p("%s = %s.Worst(%s)", y, y, x)
		case aggregate.Last:
			g.p("if %s.Valid { %s = %s }", x, y, x)
		}
	}
	g.p("}\n")

	// The intervals.
	var srcs []provider.Field
	util := map[string]string{}
	for _, f := range rows {
		if f.Fold != aggregate.IntervalMean && f.Fold != aggregate.IntervalPeak {
			continue
		}
		sf := source(f)
		if _, ok := util[sf.Key]; !ok {
			srcs = append(srcs, sf)
			util[sf.Key] = ""
		}
		if f.Util != "" {
			util[sf.Key] = f.Util
		}
	}
	g.p("// intervals are the per-interval means of the fields folded by interval.")
	g.p("type intervals struct {")
	for _, sf := range srcs {
		g.p("%s intervalMean // %s", ident(sf.Name), sf.Key)
	}
	g.p("}\n")
	g.p("// add records k consecutive intervals from a snapshot with counters")
	g.p("// prev to s (identical when k > 1) lasting dur ms in all.")
	g.p("func (iv *intervals) add(prev *provider.Counters, s *provider.Snapshot, k, dur uint64) {")
	for _, sf := range srcs {
		if u := util[sf.Key]; u != "" {
			g.p("if u := %s; u.Valid {", u)
			g.p("iv.%s.add(u.V, k, dur)", ident(sf.Name))
			g.p("} else if u := s.%s; u.Valid {", sf.Name)
		} else {
			g.p("if u := s.%s; u.Valid {", sf.Name)
		}
		g.p("iv.%s.add(u.V, k, dur)", ident(sf.Name))
		g.p("}")
	}
	g.p("}\n")

	// The summary.
	g.p("// foldInto sets the folded fields of u from the aggregator's state;")
	g.p("// end are the counters of the run's last snapshot.")
	g.p("func (a *Aggregator) foldInto(u *Usage, end *provider.Counters) {")
	for _, f := range rows {
		y := "u." + f.Name
		switch f.Fold {
		case aggregate.Max, aggregate.Min, aggregate.Last:
			g.p("%s = a.lv.%s", y, f.Name)
		case aggregate.Worst:
			if f.Baseline != "" {
				g.p("%s = a.lv.%s.Worst(%s)", y, f.Name, f.Baseline)
			} else {
				g.p("%s = a.lv.%s", y, f.Name)
			}
		case aggregate.IntervalMean:
			if f.Whole != "" {
				g.p("if %s = %s; !%s.Valid {", y, f.Whole, y)
				g.p("%s = a.iv.%s.mean()", y, ident(source(f).Name))
				g.p("}")
			} else {
				g.p("%s = a.iv.%s.mean()", y, ident(source(f).Name))
			}
		case aggregate.IntervalPeak:
			g.p("%s = a.iv.%s.peak()", y, ident(source(f).Name))
		case aggregate.Delta:
			name, ok := strings.CutPrefix(source(f).Name, "Counters.")
			if !ok || source(f).Type != provider.Duration {
				panic(fmt.Sprintf("fieldgen: %s: Delta of %s, which is no counter", f.Key, f.Of))
			}
			g.p("%s = growthMS(a.start.%s, end.%s)", y, name, name)
		}
	}
	g.p("}")
}

// source0 is the Go field of the snapshot field f folds.
func source0(f aggregate.SummaryField) string {
	switch f.Fold {
	case aggregate.Max, aggregate.Min, aggregate.Worst, aggregate.Last:
		return source(f).Name
	}
	return ""
}
