package seed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
)

// FileError is a seed file that could not be read as a seed: it names the
// file, the syntax (YAML, or JSON for *.json files, which are read as
// YAML too), and the line and column of the problem.
type FileError struct {
	Path         string
	Syntax       string // "YAML" or "JSON"
	Line, Column int    // 1-based; 0 when unknown
	Problem      string
}

func (e *FileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s error: %s", e.Path, e.Syntax, e.Problem)
	}
	return fmt.Sprintf("%s: %s error at line %d, column %d: %s", e.Path, e.Syntax, e.Line, e.Column, e.Problem)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// explain turns a decoding error of raw (the content of path) into a
// FileError with its position: a syntax error is located by the parser's
// line and the shortest prefix of that line that fails the same way; a
// seed that parses but does not fit (an unknown field, a list where a name
// belongs, a word where a number belongs) by the node that does not fit.
func explain(path string, raw []byte, decodeErr error) *FileError {
	fe := &FileError{Path: path, Syntax: "YAML", Problem: decodeErr.Error()}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		fe.Syntax = "JSON"
	}
	var root yaml3.Node
	if err := yaml3.Unmarshal(raw, &root); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			fe.Problem = m[2]
			fe.Line, fe.Column = syntaxPosition(raw, line, msg)
		} else {
			fe.Problem = strings.TrimPrefix(msg, "yaml: ")
		}
		return fe
	}
	if len(root.Content) == 0 {
		return fe
	}
	if n, problem := misfit(root.Content[0], reflect.TypeOf(File{})); n != nil {
		fe.Line, fe.Column, fe.Problem = n.Line, n.Column, problem
	}
	return fe
}

// syntaxPosition finds where the parser fails: the end of the shortest
// prefix of raw that fails with the same message, looked for from the
// line before the one the parser names (it names the line where the
// enclosing construct began, counted from 0, for some errors). It returns
// that prefix's last line and column, or the named line when no prefix
// fails the same way.
func syntaxPosition(raw []byte, line int, msg string) (int, int) {
	start := 0
	for i := 1; i < line-1; i++ {
		j := bytes.IndexByte(raw[start:], '\n')
		if j < 0 {
			break
		}
		start += j + 1
	}
	const budget = 1 << 16 // prefixes tried at most: a seed is small
	for p := start; p <= len(raw) && p-start < budget; p++ {
		var n yaml3.Node
		if err := yaml3.Unmarshal(raw[:p], &n); err != nil && err.Error() == msg {
			l := 1 + bytes.Count(raw[:p], []byte("\n"))
			if p > 0 && raw[p-1] == '\n' {
				l-- // the prefix ends with its line's newline
			}
			lineStart := bytes.LastIndexByte(raw[:max(p-1, 0)], '\n') + 1
			return l, max(p-lineStart, 1)
		}
	}
	return line, 1
}

var unmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// misfit returns the first node of n that cannot decode into t (as the
// JSON decoder would see it), and why.
func misfit(n *yaml3.Node, t reflect.Type) (*yaml3.Node, string) {
	for n.Kind == yaml3.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Tag == "!!null" || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil, ""
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml3.MappingNode {
			return n, "expected a mapping (key: value lines), found " + describe(n)
		}
		return misfitFields(n, t)
	case reflect.Map:
		if n.Kind != yaml3.MappingNode {
			return n, "expected a mapping (key: value lines), found " + describe(n)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if bad, why := misfit(n.Content[i+1], t.Elem()); bad != nil {
				return bad, why
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml3.SequenceNode {
			return n, "expected a list, found " + describe(n)
		}
		for _, c := range n.Content {
			if bad, why := misfit(c, t.Elem()); bad != nil {
				return bad, why
			}
		}
	case reflect.String:
		if n.Kind != yaml3.ScalarNode {
			return n, "expected a string, found " + describe(n)
		}
	case reflect.Bool:
		if n.Kind != yaml3.ScalarNode || n.Tag != "!!bool" {
			return n, "expected true or false, found " + describe(n)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml3.ScalarNode || n.Tag != "!!int" {
			return n, "expected a whole number, found " + describe(n)
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml3.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			return n, "expected a number, found " + describe(n)
		}
	}
	return nil, ""
}

func misfitFields(n *yaml3.Node, t reflect.Type) (*yaml3.Node, string) {
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[strings.ToLower(name)] = f.Type
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		ft, ok := fields[strings.ToLower(key.Value)]
		if !ok {
			return key, fmt.Sprintf("unknown field %q (expected one of: %s)", key.Value, strings.Join(names, ", "))
		}
		if seen[strings.ToLower(key.Value)] {
			return key, fmt.Sprintf("field %q appears twice", key.Value)
		}
		seen[strings.ToLower(key.Value)] = true
		if bad, why := misfit(n.Content[i+1], ft); bad != nil {
			return bad, why
		}
	}
	return nil, ""
}

func describe(n *yaml3.Node) string {
	switch n.Kind {
	case yaml3.MappingNode:
		return "a mapping"
	case yaml3.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}
