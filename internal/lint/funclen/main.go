// Command funclen fails when a hand-written Go function is longer than a
// limit (120 lines by default, counted from the func keyword to the
// closing brace, doc comment excluded). Files that carry the standard
// "Code generated ... DO NOT EDIT." header are skipped, as are testdata,
// vendor, node_modules and hidden directories.
//
//	go run ./internal/lint/funclen            # the whole repository
//	go run ./internal/lint/funclen -max 80 ./bench
//
// `make lint` and scripts/lint.sh run it. Every violation is printed as
// path:line: name is N lines (max M), longest first.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Long is one function over the limit.
type Long struct {
	Path  string
	Line  int
	Name  string
	Lines int
}

func (l Long) String() string {
	return fmt.Sprintf("%s:%d: %s is %d lines", l.Path, l.Line, l.Name, l.Lines)
}

func main() {
	limit := flag.Int("max", 120, "longest function allowed, in lines")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: funclen [-max N] [dir ...]   (default: .)")
		flag.PrintDefaults()
	}
	flag.Parse()
	dirs := flag.Args()
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	var all []Long
	for _, dir := range dirs {
		found, err := Check(dir, *limit)
		if err != nil {
			fmt.Fprintln(os.Stderr, "funclen:", err)
			os.Exit(2)
		}
		all = append(all, found...)
	}
	for _, l := range all {
		fmt.Printf("%s (max %d)\n", l, *limit)
	}
	if len(all) > 0 {
		fmt.Printf("funclen: %d function(s) over %d lines; split them into named steps\n", len(all), *limit)
		os.Exit(1)
	}
}

// Check walks root and returns the hand-written functions longer than
// limit lines, longest first.
func Check(root string, limit int) ([]Long, error) {
	fset := token.NewFileSet()
	var found []Long
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		long, err := checkFile(fset, path, limit)
		found = append(found, long...)
		return err
	})
	sort.SliceStable(found, func(i, j int) bool { return found[i].Lines > found[j].Lines })
	return found, err
}

func skipDir(name string) bool {
	return name == "testdata" || name == "vendor" || name == "node_modules" ||
		strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// checkFile measures every function declaration and every function
// literal of one file (a literal is measured on its own as well as inside
// its enclosing function). Generated files are skipped.
func checkFile(fset *token.FileSet, path string, limit int) ([]Long, error) {
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	if ast.IsGenerated(f) {
		return nil, nil
	}
	var found []Long
	ast.Inspect(f, func(n ast.Node) bool {
		var name string
		var body *ast.BlockStmt
		switch fn := n.(type) {
		case *ast.FuncDecl:
			name, body = funcName(fn), fn.Body
		case *ast.FuncLit:
			name, body = "func literal", fn.Body
		}
		if body == nil {
			return true
		}
		start := fset.Position(n.Pos())
		lines := fset.Position(body.End()).Line - start.Line + 1
		if lines > limit {
			found = append(found, Long{Path: filepath.ToSlash(path), Line: start.Line, Name: name, Lines: lines})
		}
		return true
	})
	return found, nil
}

// funcName is Name or (Recv).Name.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if idx, ok := t.(*ast.IndexExpr); ok {
		t = idx.X
	}
	if idx, ok := t.(*ast.IndexListExpr); ok {
		t = idx.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return "(" + id.Name + ")." + fn.Name.Name
	}
	return fn.Name.Name
}
