// Package unsafecall checks, from source, that system-call shims pass Go
// pointers to foreign functions safely. Rule 4 of unsafe.Pointer allows
// uintptr(unsafe.Pointer(&x)) only inside the argument list of the call that
// hands it to the system: the compiler then keeps x alive and in place
// (//go:uintptrkeepalive on syscall.SyscallN, //go:uintptrescapes on
// purego.SyscallN). Converted anywhere else — into a variable, or into the
// arguments of a Go helper that forwards them — x is a plain integer that
// the garbage collector may free and a stack growth may move before the call.
//
// The shims only run on their own OS; this check runs on every GOOS.
package unsafecall

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// Check parses the Go files and returns one line per
// uintptr(unsafe.Pointer(...)) conversion that is not a direct argument of a
// call to one of calls (written as in the source: "purego.SyscallN").
func Check(calls []string, files ...string) ([]string, error) {
	allowed := make(map[string]bool, len(calls))
	for _, c := range calls {
		allowed[c] = true
	}
	fset := token.NewFileSet()
	var bad []string
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			if isPointerToUintptr(n) && !directArg(stack, n, allowed) {
				bad = append(bad, fmt.Sprintf("%s: uintptr(unsafe.Pointer(...)) outside the argument list of %s",
					fset.Position(n.Pos()), strings.Join(calls, " or ")))
			}
			stack = append(stack, n)
			return true
		})
	}
	return bad, nil
}

// isPointerToUintptr reports whether n is uintptr(unsafe.Pointer(...)).
func isPointerToUintptr(n ast.Node) bool {
	c, ok := n.(*ast.CallExpr)
	if !ok || len(c.Args) != 1 {
		return false
	}
	if id, ok := c.Fun.(*ast.Ident); !ok || id.Name != "uintptr" {
		return false
	}
	inner, ok := c.Args[0].(*ast.CallExpr)
	return ok && exprName(inner.Fun) == "unsafe.Pointer"
}

// directArg reports whether n is an argument of the innermost enclosing
// node, and that node is a call to an allowed function.
func directArg(stack []ast.Node, n ast.Node, allowed map[string]bool) bool {
	if len(stack) == 0 {
		return false
	}
	call, ok := stack[len(stack)-1].(*ast.CallExpr)
	if !ok || !allowed[exprName(call.Fun)] {
		return false
	}
	for _, a := range call.Args {
		if a == n {
			return true
		}
	}
	return false
}

// exprName renders an identifier or a selector chain ("purego.SyscallN").
func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprName(e.X) + "." + e.Sel.Name
	case *ast.ParenExpr:
		return exprName(e.X)
	}
	return ""
}
