package featureflag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The package works on its own small JSON tree instead of map[string]any
// because it needs three things encoding/json's generic decoding loses:
// members in source order (deterministic problem order), duplicate-key
// detection (flag and attribute keys must be unique), and number literals
// kept verbatim (so Stamp does not rewrite 1.50 as 1.5).

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "boolean"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "array"
	default:
		return "object"
	}
}

type node struct {
	kind  kind
	b     bool
	s     string  // string value, or the number's literal text
	items []*node // array elements
	keys  []string
	vals  []*node
	index map[string]int // key → position in keys/vals
}

// maxDepth bounds nesting. A valid feature-flag document is at most 7
// levels deep (values/flag/_variants/i/attributeValues/attr/element), so
// this only ever rejects documents that are invalid anyway, and it keeps
// every recursive walk in the package shallow.
const maxDepth = 64

// duplicate records an object member whose name had already been seen.
type duplicate struct {
	location string
	key      string
}

// syntaxError is a malformed-JSON failure with the byte offset where the
// decoder gave up.
type syntaxError struct {
	offset int64
	msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at byte %d: %s", e.offset, e.msg)
}

var errTooDeep = errors.New("too deeply nested")

// parseJSON decodes exactly one JSON value. Duplicate member names keep the
// first position and the last value (encoding/json's rule) and are reported.
func parseJSON(data []byte) (*node, []duplicate, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &treeParser{dec: dec}
	root, err := p.value("", 0)
	if err != nil {
		return nil, nil, p.wrap(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the top-level value")
		}
		return nil, nil, p.wrap(err)
	}
	return root, p.dups, nil
}

type treeParser struct {
	dec  *json.Decoder
	dups []duplicate
}

func (p *treeParser) wrap(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &syntaxError{offset: se.Offset, msg: se.Error()}
	case err == io.EOF:
		return &syntaxError{offset: p.dec.InputOffset(), msg: "empty document"}
	case err == io.ErrUnexpectedEOF:
		return &syntaxError{offset: p.dec.InputOffset(), msg: "unexpected end of input"}
	case errors.Is(err, errTooDeep):
		return &syntaxError{offset: p.dec.InputOffset(), msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	default:
		return &syntaxError{offset: p.dec.InputOffset(), msg: err.Error()}
	}
}

func (p *treeParser) value(loc string, depth int) (*node, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, b: t}, nil
	case json.Number:
		return &node{kind: kindNumber, s: string(t)}, nil
	case string:
		return &node{kind: kindString, s: t}, nil
	case json.Delim:
		if depth >= maxDepth {
			return nil, errTooDeep
		}
		switch t {
		case '[':
			n := &node{kind: kindArray}
			for p.dec.More() {
				item, err := p.value(loc+"/"+strconv.Itoa(len(n.items)), depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '{':
			n := &node{kind: kindObject, index: map[string]int{}}
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				child := pointer(loc, key)
				v, err := p.value(child, depth+1)
				if err != nil {
					return nil, err
				}
				if i, seen := n.index[key]; seen {
					p.dups = append(p.dups, duplicate{location: child, key: key})
					n.vals[i] = v
					continue
				}
				n.index[key] = len(n.keys)
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// get returns the member named key of an object node, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	if i, ok := n.index[key]; ok {
		return n.vals[i]
	}
	return nil
}

func (n *node) has(key string) bool { return n.get(key) != nil }

// set adds or replaces a member of an object node.
func (n *node) set(key string, v *node) {
	if i, ok := n.index[key]; ok {
		n.vals[i] = v
		return
	}
	if n.index == nil {
		n.index = map[string]int{}
	}
	n.index[key] = len(n.keys)
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

func newObject() *node         { return &node{kind: kindObject, index: map[string]int{}} }
func newString(s string) *node { return &node{kind: kindString, s: s} }
func newBool(b bool) *node     { return &node{kind: kindBool, b: b} }

// boolValue returns the value of a JSON boolean node; ok is false for
// anything else (including nil).
func (n *node) boolValue() (value, ok bool) {
	if n == nil || n.kind != kindBool {
		return false, false
	}
	return n.b, true
}

// encode renders n as compact JSON with object members sorted by name
// (byte order, as encoding/json sorts map keys), skipping top-level members
// for which skip returns true. Identical trees always give identical bytes.
func (n *node) encode(skip func(string) bool) []byte {
	return n.appendJSON(nil, skip)
}

func (n *node) appendJSON(dst []byte, skip func(string) bool) []byte {
	switch n.kind {
	case kindNull:
		return append(dst, "null"...)
	case kindBool:
		return strconv.AppendBool(dst, n.b)
	case kindNumber:
		return append(dst, n.s...)
	case kindString:
		return appendString(dst, n.s)
	case kindArray:
		dst = append(dst, '[')
		for i, it := range n.items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = it.appendJSON(dst, nil)
		}
		return append(dst, ']')
	default:
		order := make([]int, 0, len(n.keys))
		for i, k := range n.keys {
			if skip != nil && skip(k) {
				continue
			}
			order = append(order, i)
		}
		sort.Slice(order, func(a, b int) bool { return n.keys[order[a]] < n.keys[order[b]] })
		dst = append(dst, '{')
		for j, i := range order {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, n.keys[i])
			dst = append(dst, ':')
			dst = n.vals[i].appendJSON(dst, nil)
		}
		return append(dst, '}')
	}
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Like encoding/json it escapes
// control characters, U+2028/U+2029 and invalid UTF-8 (as U+FFFD), but it
// leaves <, > and & alone: the output is served as application/json, not
// embedded in HTML.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// pointer appends one reference token to a JSON pointer (RFC 6901).
func pointer(base, token string) string {
	if strings.ContainsAny(token, "~/") {
		token = strings.ReplaceAll(token, "~", "~0")
		token = strings.ReplaceAll(token, "/", "~1")
	}
	return base + "/" + token
}

func index(base string, i int) string { return base + "/" + strconv.Itoa(i) }
