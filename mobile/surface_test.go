package mobile

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/restel/restel/provider"
)

// gomobileTypes are the types gomobile bind carries across the language
// boundary that this package may use on its surface.
var gomobileTypes = map[string]bool{
	"int": true, "int64": true, "float64": true, "string": true, "bool": true, "[]byte": true, "error": true,
}

// TestBindableSurface checks that everything the package exports is a
// function over gomobile-supported types: anything else would be dropped
// from the generated Kotlin and Swift bindings without a build error.
func TestBindableSurface(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	funcs := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || d.Recv != nil {
					continue
				}
				funcs++
				for _, fl := range []*ast.FieldList{d.Type.Params, d.Type.Results} {
					if fl == nil {
						continue
					}
					for _, field := range fl.List {
						if typ := exprString(field.Type); !gomobileTypes[typ] {
							t.Errorf("%s: %s uses %s, which gomobile bind cannot carry", fset.Position(d.Pos()), d.Name.Name, typ)
						}
					}
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					var names []*ast.Ident
					switch s := s.(type) {
					case *ast.TypeSpec:
						names = []*ast.Ident{s.Name}
					case *ast.ValueSpec:
						names = s.Names
					}
					for _, n := range names {
						if n.IsExported() {
							t.Errorf("%s: exported %s: the binding's surface is functions only", fset.Position(n.Pos()), n.Name)
						}
					}
				}
			}
		}
	}
	if funcs == 0 {
		t.Fatal("no exported function found")
	}
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.ArrayType:
		if e.Len == nil {
			return "[]" + exprString(e.Elt)
		}
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return "?"
}

// TestPushesFromManyThreads pushes from many goroutines at once, as
// platform callbacks on different threads do, while snapshots are read;
// the race detector checks the host state.
func TestPushesFromManyThreads(t *testing.T) {
	t.Cleanup(func() { ClearBatteryLevel(); ClearThermalState() })
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				switch (w + i) % 6 {
				case 0:
					SetBatteryLevel(i % 120)
				case 1:
					ClearBatteryLevel()
				case 2:
					_ = SetAndroidThermalStatus(i % 7)
				case 3:
					_ = SetAppleThermalState(i % 4)
				case 4:
					ClearThermalState()
				case 5:
					var s provider.Snapshot
					if err := json.Unmarshal([]byte(CurrentSnapshotJSON(60_000)), &s); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
}
