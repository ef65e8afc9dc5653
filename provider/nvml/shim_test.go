package nvml

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/restel/restel/internal/unsafecall"
)

// TestShimPointerArgs checks on every GOOS that the foreign-call shims
// convert Go pointers to uintptr only inside the argument list of call,
// and that each OS's call is //go:uintptrescapes, which keeps the pointee
// alive and in place until the C function returns (unsafe.Pointer
// rule 4).
func TestShimPointerArgs(t *testing.T) {
	files := []string{"lib_shim.go", "load_linux.go", "load_windows.go"}
	bad, err := unsafecall.Check([]string{"call"}, files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Error(strings.Join(bad, "\n"))
	}
	for _, name := range files[1:] {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Name.Name != "call" {
				continue
			}
			found = true
			if fn.Doc == nil || !strings.Contains(fn.Doc.Text()+commentText(fn.Doc), "//go:uintptrescapes") {
				t.Errorf("%s: call is not //go:uintptrescapes", name)
			}
		}
		if !found {
			t.Errorf("%s: no func call", name)
		}
	}
}

// commentText returns the raw lines of g (Text drops directives).
func commentText(g *ast.CommentGroup) string {
	var b strings.Builder
	for _, c := range g.List {
		b.WriteString(c.Text)
		b.WriteByte('\n')
	}
	return b.String()
}
