package records

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// No code outside this package decodes a record body: a call of
// json.Unmarshal on a .Body anywhere else in the module (tests aside)
// fails this test.
func TestOnlyRecordsDecodesBodies(t *testing.T) {
	testutil.EachGoFile(t, "../..", []string{"internal/records"}, func(g testutil.GoFile) {
		ast.Inspect(g.File, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			fn, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || fn.Sel.Name != "Unmarshal" {
				return true
			}
			if pkg, ok := fn.X.(*ast.Ident); !ok || pkg.Name != "json" {
				return true
			}
			if arg, ok := call.Args[0].(*ast.SelectorExpr); ok && arg.Sel.Name == "Body" {
				t.Errorf("%s: json.Unmarshal of a record body outside internal/records", g.Pos(call))
			}
			return true
		})
	})
}

// Every record kind the root package declares (appconfig.Record*) has a
// format here: a kind added there without one would make Encode panic.
func TestEveryKindHasAFormat(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", "types.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Record") {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok {
			return true
		}
		n++
		if _, known := kinds[strings.Trim(lit.Value, `"`)]; !known {
			t.Errorf("appconfig.%s (%s) has no format in internal/records", vs.Names[0].Name, lit.Value)
		}
		return true
	})
	if n != len(kinds) {
		t.Fatalf("types.go declares %d record kinds, records knows %d", n, len(kinds))
	}
}
