package main

import (
	"strings"
	"testing"
)

func TestParseAndMedian(t *testing.T) {
	in := `goos: linux
BenchmarkRestelSnapshot-2   	   49978	     12000 ns/op	       0 B/op	       0 allocs/op
BenchmarkGopsutilEquivalent-2      	    6426	     90000 ns/op	   17288 B/op	     195 allocs/op
BenchmarkRestelSnapshot-2   	   49978	     14000 ns/op	       0 B/op	       0 allocs/op
BenchmarkRestelSnapshot-2   	   49978	     13000 ns/op	       0 B/op	       0 allocs/op
PASS
`
	order, res, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != "RestelSnapshot" || order[1] != "GopsutilEquivalent" {
		t.Fatalf("order %v", order)
	}
	if m := median(res["RestelSnapshot"].ns); m != 13000 {
		t.Errorf("median %v; want 13000", m)
	}
	if m := median(res["GopsutilEquivalent"].allocs); m != 195 {
		t.Errorf("allocs median %v; want 195", m)
	}
	if m := median([]float64{1, 2, 3, 4}); m != 2.5 {
		t.Errorf("even median %v; want 2.5", m)
	}
	if _, _, err := parse(strings.NewReader("BenchmarkX-2 1 abc ns/op\n")); err == nil {
		t.Error("malformed number accepted")
	}
}
