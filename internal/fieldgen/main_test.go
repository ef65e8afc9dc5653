//go:build !ios

package main

import (
	"bytes"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The generated files are what their rows say: a row added without go
// generate fails here.
func TestGeneratedUpToDate(t *testing.T) {
	for _, pkg := range []string{"provider", "aggregate"} {
		want, err := Generate(pkg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile("../../" + pkg + "/fields_gen.go")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/fields_gen.go is out of date with its rows: run go generate ./%s", pkg, pkg)
		}
	}
}
