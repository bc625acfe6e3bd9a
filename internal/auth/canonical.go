package auth

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// This file builds the pieces of the SigV4 canonical request from what the
// server received. The server must reproduce, byte for byte, what the client
// signed, so each function documents which client behaviour it mirrors.

const upperHex = "0123456789ABCDEF"

// isUnreserved reports RFC 3986 unreserved characters, the only bytes SigV4
// leaves unescaped.
func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// uriEncode writes s with every byte outside the unreserved set as %XX
// (uppercase hex); '/' is kept when keepSlash is set (paths).
func uriEncode(b *strings.Builder, s string, keepSlash bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}

func uriEncodeString(s string, keepSlash bool) string {
	var b strings.Builder
	b.Grow(len(s))
	uriEncode(&b, s, keepSlash)
	return b.String()
}

// wirePath returns the request path exactly as the client sent it, still
// percent-encoded. RequestURI is preferred because it is untouched by Go's
// URL parsing (which would, for instance, re-escape raw UTF-8); clients sign
// the escaped path they put on the wire.
func wirePath(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	if r.URL != nil {
		if p := r.URL.EscapedPath(); strings.HasPrefix(p, "/") {
			return p
		}
	}
	return "/"
}

// normalizePath removes '.' and '..' segments and empty segments (duplicate
// slashes), keeping a trailing slash only if the original had one — the rule
// the AWS SDKs that normalize (JavaScript v3, CRT-based SDKs) apply for every
// service but S3. p must start with '/'.
func normalizePath(p string) string {
	segs := strings.Split(p, "/")
	out := segs[:0]
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "/"
	}
	n := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") {
		n += "/"
	}
	return n
}

// canonicalURIs returns the canonical URI of r: the escaped wire path,
// normalized, then URI-encoded again. SDKs escape the already-escaped path
// for every service except S3, so "%3A" on the wire is "%253A" here.
// raw is the same without normalization, because some SDKs (Go v2, boto)
// sign the path as is; it equals canonical for ordinary paths.
func canonicalURIs(r *http.Request) (canonical, raw string) {
	p := wirePath(r)
	canonical = uriEncodeString(normalizePath(p), true)
	raw = uriEncodeString(p, true)
	return canonical, raw
}

// queryParam is one decoded query parameter in wire order.
type queryParam struct{ key, value string }

// parseQuery splits a raw query string into decoded parameters. Unlike
// url.ParseQuery it keeps parameters with invalid escapes (taken literally):
// the client signed them, and dropping them would let an attacker smuggle
// unsigned parameters past verification.
func parseQuery(raw string) []queryParam {
	var params []queryParam
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		params = append(params, queryParam{key: unescapeQuery(k), value: unescapeQuery(v)})
	}
	return params
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// canonicalQueries returns the canonical query string, excluding the
// parameter named skip (X-Amz-Signature in presigned requests). sorted orders
// pairs by encoded key then encoded value, as the SigV4 specification says;
// goOrder orders by decoded key and value, as the Go SDK's url.Values.Encode
// does. They differ only for keys or values whose escaping changes their
// order (e.g. "a/" and "a-"), so both are worth trying.
func canonicalQueries(params []queryParam, skip string) (sorted, goOrder string) {
	type pair struct{ k, v, ek, ev string }
	pairs := make([]pair, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		pairs = append(pairs, pair{k: p.key, v: p.value, ek: uriEncodeString(p.key, false), ev: uriEncodeString(p.value, false)})
	}
	join := func() string {
		var b strings.Builder
		for i, p := range pairs {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(p.ek)
			b.WriteByte('=')
			b.WriteString(p.ev)
		}
		return b.String()
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		if pairs[i].ek != pairs[j].ek {
			return pairs[i].ek < pairs[j].ek
		}
		return pairs[i].ev < pairs[j].ev
	})
	sorted = join()
	sort.SliceStable(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	goOrder = join()
	return sorted, goOrder
}

// headerValues returns the values of the lowercase header name as the client
// sent them. Go's server moves some headers out of r.Header, so those are
// recovered from where it put them.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		if r.URL != nil && r.URL.Host != "" {
			return []string{r.URL.Host}
		}
		return nil
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if v := r.Header.Values("Transfer-Encoding"); len(v) > 0 {
			return v
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
		return nil
	}
	return r.Header.Values(name)
}

// canonicalHeaders writes "name:value\n" for each signed header, in the order
// the client listed them (the list itself is signed). Values are trimmed,
// runs of spaces collapse to one, and repeated headers join with ','. A
// signed header that is absent contributes an empty value, which then fails
// verification unless the client really signed it empty.
func canonicalHeaders(b *strings.Builder, r *http.Request, signed []string) {
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeTrimmed(b, v)
		}
		b.WriteByte('\n')
	}
}

// writeTrimmed writes v without leading/trailing spaces and with each run of
// inner spaces collapsed to a single space (SigV4's "Trimall").
func writeTrimmed(b *strings.Builder, v string) {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
}

// canonicalRequest assembles the SigV4 canonical request.
func canonicalRequest(method, uri, query string, r *http.Request, signed []string, signedList, payloadHash string) string {
	var b strings.Builder
	b.Grow(256)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	canonicalHeaders(&b, r, signed)
	b.WriteByte('\n')
	b.WriteString(signedList)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}
