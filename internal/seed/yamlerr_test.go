package seed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A seed that cannot be read names its file, says YAML (or JSON) and
// gives the line and column of the problem.
func TestLoadErrorsGiveLineAndColumn(t *testing.T) {
	for _, c := range []struct {
		name, content string
		line, column  int
		problem       string
	}{
		{"syntax.yaml", "applications:\n  - name: shop\n    environments: [{name: prod}\n", 3, 31, "did not find expected ',' or ']'"},
		{"indent.yaml", "applications:\n  - name: shop\n     environments: []\n", 3, 18, "mapping values are not allowed in this context"},
		{"unknown.yaml", "applications:\n  - name: shop\n    enviroments: [{name: prod}]\n", 3, 5, `unknown field "enviroments"`},
		{"type.yml", "deploymentStrategies:\n  - name: quick\n    deploymentDurationInMinutes: two\n    growthFactor: 50\n", 3, 34, `expected a whole number, found "two"`},
		{"list.yaml", "applications:\n  name: shop\n", 2, 3, "expected a list, found a mapping"},
		{"twice.yaml", "applications: []\napplications: []\n", 2, 1, `field "applications" appears twice`},
		{"bad.json", "{\"applications\": [{\"name\": \"shop\", \"tags\": {\"a\": [1]}}]}\n", 1, 50, "expected a string, found a list"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, c.name)
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(dir)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FileError", err)
			}
			syntax := "YAML"
			if strings.HasSuffix(c.name, ".json") {
				syntax = "JSON"
			}
			if fe.Path != path || fe.Syntax != syntax || fe.Line != c.line || fe.Column != c.column || !strings.Contains(fe.Problem, c.problem) {
				t.Fatalf("got %s (line %d, column %d), want line %d, column %d: %s", err, fe.Line, fe.Column, c.line, c.column, c.problem)
			}
			want := path + ": " + syntax + " error at line "
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("message %q lacks %q", err, want)
			}
		})
	}
}
