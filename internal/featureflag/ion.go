package featureflag

import (
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// IonContentType is the media type of IonView's output. The AppConfig
// Agent asks for it in its Accept header; AWS documents the format (in the
// Agent's local development mode, whose file extension for it is
// "application%ion%type=AWS.AppConfig.FeatureFlags"), but not the exact
// spelling of the header, so this one is derived from that extension.
const IonContentType = "application/ion;type=AWS.AppConfig.FeatureFlags"

// IonView renders the retrieval-time form AWS documents for a feature-flag
// configuration that has at least one multi-variant flag: Amazon Ion text
// in which each flag is a value annotated with its key. A basic flag is its
// client-form JSON as a string; a multi-variant flag is a list of its
// variants, each a two-element list of its rule (an s-expression) and its
// content (a JSON string with "_variant", "enabled" and, when enabled, its
// attribute values), then its default variant's content alone. The caller
// (the Agent) evaluates the rules against its own context.
//
// ok is false, with no output, when no flag has variants: such documents
// are served as JSON (ClientView) whatever the caller accepts.
//
// Rules are written back from their parse, not copied: the rule language
// accepts lists without commas and bare year-month timestamps, which Ion
// does not. A rule that does not parse (Validate refuses those) is left
// out, so it never matches, as in ClientViewFor. Flags appear sorted by
// key, so equal documents give equal bytes.
func IonView(doc []byte) (out []byte, ok bool, err error) {
	root, _, err := parseJSON(doc)
	if err != nil {
		return nil, false, err
	}
	if root.kind != kindObject {
		return nil, false, errors.New("feature flag document is not a JSON object")
	}
	flags, values := root.get("flags"), root.get("values")
	if flags == nil || flags.kind != kindObject {
		return nil, false, nil
	}
	keys := append([]string(nil), flags.keys...)
	sort.Strings(keys)
	multi := false
	for _, k := range keys {
		if variantsOf(values.get(k)) != nil {
			multi = true
			break
		}
	}
	if !multi {
		return nil, false, nil
	}
	var b []byte
	for i, key := range keys {
		if i > 0 {
			b = append(b, '\n')
		}
		b = appendIonSymbol(b, key, true)
		b = append(b, "::"...)
		entry := values.get(key)
		variants := variantsOf(entry)
		if variants == nil {
			b = appendIonLongString(b, flagView(key, entry, nil, false).encode(nil))
			continue
		}
		b = append(b, '[')
		n := 0
		item := func() {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n  "...)
			n++
		}
		for _, v := range variants {
			r := variantRule(v)
			if r == nil {
				continue
			}
			item()
			b = append(b, '[')
			b = r.root.appendIon(b)
			b = append(b, ", "...)
			b = appendIonLongString(b, variantView(v, true).encode(nil))
			b = append(b, ']')
		}
		if def := chooseVariant(key, variants, nil, false); def != nil {
			item()
			b = appendIonLongString(b, variantView(def, true).encode(nil))
		}
		b = append(b, "\n]"...)
	}
	return append(b, '\n'), true, nil
}

// variantsOf returns a values entry's non-empty _variants list, or nil.
func variantsOf(entry *node) []*node {
	if entry == nil || entry.kind != kindObject {
		return nil
	}
	vs := entry.get("_variants")
	if vs == nil || vs.kind != kindArray || len(vs.items) == 0 {
		return nil
	}
	return vs.items
}

var (
	ionIdentifier = regexp.MustCompile(`^[$_A-Za-z][$_A-Za-z0-9]*$`)
	ionSymbolID   = regexp.MustCompile(`^\$[0-9]+$`) // $10 is symbol ID 10, not a name
	ionInt        = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	ionNumber     = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	yearMonth     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)
)

// ionKeywords cannot be written as bare symbols.
var ionKeywords = map[string]bool{"null": true, "true": true, "false": true, "nan": true}

// appendIon writes the expression as Ion text.
func (e *expr) appendIon(b []byte) []byte {
	switch e.kind {
	case eRef:
		return appendIonSymbol(b, "$"+e.name, false)
	case eList:
		b = append(b, '[')
		for i, it := range e.args {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = it.appendIon(b)
		}
		return append(b, ']')
	case eCall:
		b = append(b, '(')
		b = appendIonSymbol(b, e.name, false)
		for _, a := range e.args {
			b = append(b, ' ')
			b = a.appendIon(b)
		}
		for _, name := range e.order {
			b = append(b, ' ')
			b = appendIonSymbol(b, name, false)
			b = append(b, "::"...)
			b = e.named[name].appendIon(b)
		}
		return append(b, ')')
	}
	switch v := e.lit; v.kind {
	case vString:
		return appendIonString(b, v.s)
	case vBool:
		return strconv.AppendBool(b, v.b)
	case vInt:
		return strconv.AppendInt(b, v.i, 10)
	case vFloat:
		if ionNumber.MatchString(e.text) && !ionInt.MatchString(e.text) {
			return append(b, e.text...) // as written: a decimal or a float
		}
		return strconv.AppendFloat(b, v.f, 'e', -1, 64)
	case vTime:
		if yearMonth.MatchString(e.text) {
			return append(append(b, e.text...), 'T') // Ion's month precision
		}
		return append(b, e.text...)
	}
	return append(b, "null"...)
}

// appendIonSymbol writes a symbol, bare when Ion allows it (always quoted
// when quote is set, as AWS writes flag-key annotations).
func appendIonSymbol(b []byte, s string, quote bool) []byte {
	if !quote && ionIdentifier.MatchString(s) && !ionKeywords[s] && !ionSymbolID.MatchString(s) {
		return append(b, s...)
	}
	b = append(b, '\'')
	b = appendIonEscaped(b, s, '\'')
	return append(b, '\'')
}

func appendIonString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendIonEscaped(b, s, '"')
	return append(b, '"')
}

// appendIonLongString writes s as an Ion long string (”'...”').
func appendIonLongString(b, s []byte) []byte {
	b = append(b, "'''"...)
	b = appendIonEscaped(b, string(s), '\'')
	return append(b, "'''"...)
}

// appendIonEscaped escapes the quote, backslashes and control characters;
// other characters, including non-ASCII ones, are written as UTF-8.
func appendIonEscaped(b []byte, s string, quote byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\uFFFD`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == quote || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

// AcceptsIon reports whether an Accept header value asks for IonContentType
// (media type and type parameter compared without case, q=0 refused).
func AcceptsIon(accept string) bool {
	if !strings.Contains(strings.ToLower(accept), "application/ion") {
		return false
	}
	for _, rng := range strings.Split(accept, ",") {
		parts := strings.Split(rng, ";")
		if !strings.EqualFold(strings.TrimSpace(parts[0]), "application/ion") {
			continue
		}
		typed, refused := false, false
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
			switch {
			case strings.EqualFold(k, "type") && strings.EqualFold(v, "AWS.AppConfig.FeatureFlags"):
				typed = true
			case strings.EqualFold(k, "q"):
				if q, err := strconv.ParseFloat(v, 64); err == nil && q <= 0 {
					refused = true
				}
			}
		}
		if typed && !refused {
			return true
		}
	}
	return false
}
