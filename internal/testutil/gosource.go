package testutil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// GoFile is one parsed source file of the module, for tests that check
// the code's shape (who may name what).
type GoFile struct {
	Rel  string // slash path from the module root
	Fset *token.FileSet
	File *ast.File
}

// Pos is where n stands, as rel:line:column.
func (g GoFile) Pos(n ast.Node) string {
	p := g.Fset.Position(n.Pos())
	return g.Rel + ":" + p.String()[len(p.Filename)+1:]
}

// EachGoFile parses every non-test Go file of the module whose root is
// root (a path from the calling test's directory, such as "../.."),
// except under testdata, node_modules, hidden directories and the
// directories skip names (slash paths from the root), and calls fn with
// each. It fails t if the walk reads fewer than 50 files: a test that
// scans nothing must not pass.
func EachGoFile(t *testing.T, root string, skip []string, fn func(GoFile)) {
	t.Helper()
	root, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	scanned := 0
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if e.Name() == "testdata" || e.Name() == "node_modules" || (strings.HasPrefix(e.Name(), ".") && rel != ".") || slices.Contains(skip, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		scanned++
		fn(GoFile{Rel: rel, Fset: fset, File: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Fatalf("scanned only %d Go files under %s: the walk is broken", scanned, root)
	}
}
