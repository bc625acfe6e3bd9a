// Package auth verifies AWS Signature Version 4 on incoming requests and
// holds the server's credentials.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	scopeTerminator = "aws4_request"
	amzTimeFormat   = "20060102T150405Z"
	amzDateFormat   = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"

	// DefaultMaxSkew is how far a request's date may be from the server's
	// clock; AWS uses 15 minutes.
	DefaultMaxSkew = 15 * time.Minute
	// maxPresignExpires is AWS's limit for X-Amz-Expires: one week.
	maxPresignExpires = 604800
	// defaultPresignExpires applies when a presigned request carries no
	// X-Amz-Expires (clients presigning for non-S3 services may omit it);
	// 15 minutes is what AWS services such as STS allow then.
	defaultPresignExpires = 15 * time.Minute

	// keyCacheSize bounds the derived-key cache. Keys change once a day per
	// (access key, region, service), so a few hundred entries is plenty.
	keyCacheSize = 256
)

// Header and query parameter names.
const (
	hdrAuthorization = "Authorization"
	hdrAmzDate       = "X-Amz-Date"
	hdrDate          = "Date"
	hdrSecurityToken = "X-Amz-Security-Token"
	hdrContentSHA256 = "X-Amz-Content-Sha256"

	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qContentSHA256 = "X-Amz-Content-Sha256"
)

// Identity is what a verified (or, in open mode, merely parsed) request says
// about its caller.
type Identity struct {
	AccessKeyID string
	Region      string
	Service     string
	// Account is the credential's account; empty when unknown (open mode, or
	// a credential without an account), in which case the caller applies its
	// default.
	Account string
}

// Verifier checks SigV4 signatures. Its zero value is not usable:
// Credentials and Now are required. A Verifier must not be copied after
// first use (it holds a mutex-protected key cache).
type Verifier struct {
	Credentials Credentials
	// Now is the server clock (injected so tests and --time-scale control it).
	Now func() time.Time
	// MaxSkew is the allowed clock difference; DefaultMaxSkew when zero.
	MaxSkew time.Duration
	// Service, when set, is the only service name a credential scope may
	// carry. Both AppConfig models sign as "appconfig", so a signature made
	// for another service (s3, say) is not one made for this server. Empty
	// accepts any name (the AWS test vectors sign as "service").
	Service string

	mu   sync.Mutex
	keys map[signingKeyID][]byte
}

type signingKeyID struct {
	accessKeyID, secret, date, region, service string
}

// credentialScope is the parsed Credential element:
// AKID/YYYYMMDD/region/service/aws4_request.
type credentialScope struct {
	accessKeyID, date, region, service string
}

func (s credentialScope) String() string {
	return s.date + "/" + s.region + "/" + s.service + "/" + scopeTerminator
}

// authInfo is everything parsed from a request's signature, before any
// cryptography.
type authInfo struct {
	presigned     bool
	scope         credentialScope
	signedHeaders []string // as listed by the client
	signedList    string   // the list exactly as sent, which is what was signed
	signature     string
	amzDate       string // request time, ISO 8601 basic, as in the string to sign
	time          time.Time
	expires       time.Duration // presigned only
	query         []queryParam
	// contentSHA256 is X-Amz-Content-Sha256 from the header (or, presigned,
	// the query) when the client sent one.
	contentSHA256    string
	hasContentSHA256 bool
}

// SigningKey derives the SigV4 signing key for a secret on a date (YYYYMMDD)
// in a region for a service.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// stringToSign is the SigV4 string to sign for a canonical request.
func stringToSign(amzDate string, scope credentialScope, canonical string) string {
	return algorithm + "\n" + amzDate + "\n" + scope.String() + "\n" + sha256Hex(canonical)
}

// Verify checks the SigV4 signature of r, in the Authorization header form
// or the presigned query form. payloadSHA256 is the lowercase hex SHA-256 of
// the request body the server read. It returns the caller's Identity, or an
// *Error saying why the request is not authentic.
func (v *Verifier) Verify(r *http.Request, payloadSHA256 string) (Identity, error) {
	if v.Credentials == nil || v.Now == nil {
		return Identity{}, errInternal("authentication is misconfigured")
	}
	a, aerr := parseAuth(r)
	if aerr != nil {
		return Identity{}, aerr
	}
	if v.Service != "" && a.scope.service != v.Service {
		return Identity{}, errInvalidSignature("Credential should be scoped to correct service: '%s'.", v.Service)
	}
	cred, ok := v.Credentials.Lookup(a.scope.accessKeyID)
	if !ok {
		return Identity{}, errUnrecognizedClient()
	}
	if err := v.checkTime(a); err != nil {
		return Identity{}, err
	}

	payloads, contentMismatch := payloadCandidates(a, payloadSHA256)
	given, decodeErr := hex.DecodeString(a.signature)
	id := signingKeyID{cred.AccessKeyID, cred.SecretAccessKey, a.scope.date, a.scope.region, a.scope.service}
	key, cached := v.cachedKey(id)
	if !cached {
		key = SigningKey(cred.SecretAccessKey, a.scope.date, a.scope.region, a.scope.service)
	}
	matched := false
	if decodeErr == nil && len(given) == sha256.Size {
		for _, creq := range canonicalCandidates(r, a, payloads) {
			if hmac.Equal(hmacSHA256(key, stringToSign(a.amzDate, a.scope, creq)), given) {
				matched = true
				break
			}
		}
	}
	if !matched {
		return Identity{}, errSignatureMismatch()
	}
	if !cached {
		// Cache only keys that verified a signature, so requests naming a
		// known key with junk scopes cannot churn the cache.
		v.storeKey(id, key)
	}
	if contentMismatch {
		// The client signed a body hash, but the body we read is different.
		return Identity{}, errInvalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return Identity{
		AccessKeyID: a.scope.accessKeyID,
		Region:      a.scope.region,
		Service:     a.scope.service,
		Account:     cred.Account,
	}, nil
}

// emptySHA256 is the hex SHA-256 of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// payloadCandidates returns the payload hashes the client may have signed,
// most likely first, and whether a signed X-Amz-Content-Sha256 disagrees
// with the body the server read.

func payloadCandidates(a *authInfo, payloadSHA256 string) (hashes []string, mismatch bool) {
	if a.hasContentSHA256 {
		// AppConfig is not S3: the body is always hashed, so a declared
		// UNSIGNED-PAYLOAD (which would let a signed request's body be
		// swapped) disagrees with the body like any other wrong hash.
		c := a.contentSHA256
		return []string{c}, !strings.EqualFold(c, payloadSHA256)
	}
	if a.presigned && payloadSHA256 == emptySHA256 {
		// Presigned URLs normally leave the body unsigned; with no body there
		// is nothing to swap. A client that presigned with the real body hash
		// is accepted too, and a presigned request with a body must have.
		return []string{unsignedPayload, payloadSHA256}, false
	}
	return []string{payloadSHA256}, false
}

// canonicalCandidates returns the canonical requests the client may have
// signed, the specification's form first. Clients differ only in path
// normalization and query ordering, and for ordinary requests all variants
// coincide, so there is usually exactly one.
func canonicalCandidates(r *http.Request, a *authInfo, payloads []string) []string {
	uri, rawURI := canonicalURIs(r)
	skip := ""
	if a.presigned {
		skip = qSignature
	}
	query, goQuery := canonicalQueries(a.query, skip)
	uris := []string{uri}
	if rawURI != uri {
		uris = append(uris, rawURI)
	}
	queries := []string{query}
	if goQuery != query {
		queries = append(queries, goQuery)
	}
	out := make([]string, 0, len(uris)*len(queries)*len(payloads))
	for _, p := range payloads {
		for _, u := range uris {
			for _, q := range queries {
				out = append(out, canonicalRequest(r.Method, u, q, r, a.signedHeaders, a.signedList, p))
			}
		}
	}
	return out
}

func (v *Verifier) cachedKey(id signingKeyID) ([]byte, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	k, ok := v.keys[id]
	return k, ok
}

func (v *Verifier) storeKey(id signingKeyID, key []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys == nil || len(v.keys) >= keyCacheSize {
		// Dropping everything is crude but bounded and rare: the working
		// set is tiny and turns over once a day.
		v.keys = make(map[signingKeyID][]byte)
	}
	v.keys[id] = key
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// checkTime enforces the clock-skew window (header form) or the validity
// window (presigned form), with AWS's wording so SDKs that parse skew errors
// can correct their clocks.
func (v *Verifier) checkTime(a *authInfo) *Error {
	now := v.Now().UTC()
	skew := v.maxSkew()
	if now.Before(a.time.Add(-skew)) {
		return errInvalidSignature("Signature not yet current: %s is still later than %s (%s + %s.)",
			a.amzDate, fmtAmzTime(now.Add(skew)), fmtAmzTime(now), fmtSkew(skew))
	}
	if a.presigned {
		if now.After(a.time.Add(a.expires)) {
			return errInvalidSignature("Signature expired: %s is now later than %s (%s + %d sec.)",
				fmtAmzTime(now), fmtAmzTime(a.time.Add(a.expires)), a.amzDate, int64(a.expires/time.Second))
		}
		return nil
	}
	if a.time.Before(now.Add(-skew)) {
		return errInvalidSignature("Signature expired: %s is now earlier than %s (%s - %s.)",
			a.amzDate, fmtAmzTime(now.Add(-skew)), fmtAmzTime(now), fmtSkew(skew))
	}
	return nil
}

func fmtAmzTime(t time.Time) string { return t.UTC().Format(amzTimeFormat) }

func fmtSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return d.String()
}

// parseAuth extracts the signature details from r in whichever form it
// carries them.
func parseAuth(r *http.Request) (*authInfo, *Error) {
	authz := r.Header.Values(hdrAuthorization)
	var query []queryParam
	if r.URL != nil {
		query = parseQuery(r.URL.RawQuery)
	}
	presigned := false
	for _, p := range query {
		if p.key == qAlgorithm || p.key == qCredential || p.key == qSignature {
			presigned = true
			break
		}
	}
	switch {
	case len(authz) > 0 && presigned:
		return nil, errIncomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
			"Signature query string parameter or the Authorization header should be specified.")
	case len(authz) > 1:
		return nil, errIncomplete("Only one Authorization header is allowed.")
	case len(authz) == 1:
		return parseHeaderAuth(r, authz[0], query)
	case presigned:
		return parsePresignedAuth(r, query)
	}
	return nil, errMissingAuth()
}

// authorizationFields splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func authorizationFields(h string) (alg string, fields map[string]string, err *Error) {
	h = strings.TrimSpace(h)
	alg, rest, _ := strings.Cut(h, " ")
	fields = make(map[string]string, 3)
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return alg, nil, errIncomplete("Authorization header element %s is not of the form key=value.", quote(part))
		}
		k = strings.TrimSpace(k)
		if _, dup := fields[k]; dup {
			return alg, nil, errIncomplete("Authorization header contains duplicate %s parameter.", quote(k))
		}
		fields[k] = strings.TrimSpace(val)
	}
	return alg, fields, nil
}

// credentialField is authorizationFields(h)["Credential"] of a SigV4
// header, and false where authorizationFields fails or the algorithm is
// another, without building the map (open mode reads it on every
// request).
func credentialField(h string) (string, bool) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != algorithm {
		return "", false
	}
	var seen [8]string
	n := 0
	cred := ""
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return "", false
		}
		k = strings.TrimSpace(k)
		if n == len(seen) {
			_, fields, err := authorizationFields(h) // unusual: many elements
			return fields["Credential"], err == nil
		}
		for _, s := range seen[:n] {
			if s == k {
				return "", false // a duplicate element
			}
		}
		seen[n] = k
		n++
		if k == "Credential" {
			cred = strings.TrimSpace(val)
		}
	}
	return cred, true
}

// mayHoldCredential is false when a raw query cannot carry an
// X-Amz-Credential parameter (its name neither spelled out nor escaped).
func mayHoldCredential(raw string) bool {
	return strings.Contains(raw, "Credential") || strings.Contains(raw, "%")
}

func parseHeaderAuth(r *http.Request, h string, query []queryParam) (*authInfo, *Error) {
	alg, fields, err := authorizationFields(h)
	if err != nil {
		return nil, err
	}
	if alg != algorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': %s; this server accepts only '%s'.", quote(alg), algorithm)
	}
	cred, hasCred := fields["Credential"]
	signed, hasSigned := fields["SignedHeaders"]
	sig, hasSig := fields["Signature"]
	amzDate := r.Header.Get(hdrAmzDate)
	httpDate := r.Header.Get(hdrDate)

	// Report every missing piece at once, as AWS does.
	var missing []string
	if !hasCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !hasSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !hasSigned {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if amzDate == "" && httpDate == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, errIncomplete("%s", strings.Join(missing, " "))
	}

	a := &authInfo{signature: sig, query: query}
	if a.scope, err = parseCredential(cred); err != nil {
		return nil, err
	}
	if a.signedHeaders, err = parseSignedHeaders(signed, "the AWS Authorization"); err != nil {
		return nil, err
	}
	a.signedList = signed

	if amzDate != "" {
		t, ok := parseAmzTime(amzDate)
		if !ok {
			return nil, errIncomplete("Date must be in ISO-8601 'basic format'. Got %s. See http://en.wikipedia.org/wiki/ISO_8601", quote(amzDate))
		}
		a.time, a.amzDate = t, amzDate
	} else {
		t, perr := http.ParseTime(httpDate)
		if perr != nil {
			return nil, errIncomplete("Date header must be an HTTP date (RFC 7231). Got %s.", quote(httpDate))
		}
		a.time, a.amzDate = t.UTC(), fmtAmzTime(t)
	}
	if err := checkScopeDate(a); err != nil {
		return nil, err
	}
	if r.Header.Get(hdrSecurityToken) != "" && !contains(a.signedHeaders, "x-amz-security-token") {
		return nil, errIncomplete("'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if vals := r.Header.Values(hdrContentSHA256); len(vals) > 0 {
		a.contentSHA256, a.hasContentSHA256 = strings.TrimSpace(vals[0]), true
	}
	if err := checkContentSHA256(a); err != nil {
		return nil, err
	}
	return a, nil
}

func parsePresignedAuth(r *http.Request, query []queryParam) (*authInfo, *Error) {
	get := map[string]string{}
	count := map[string]int{}
	for _, p := range query {
		switch p.key {
		case qAlgorithm, qCredential, qDate, qExpires, qSignedHeaders, qSignature, qContentSHA256:
			get[p.key] = p.value
			count[p.key]++
		}
	}
	var missing []string
	for _, k := range []string{qAlgorithm, qCredential, qSignature, qSignedHeaders, qDate} {
		if count[k] == 0 {
			missing = append(missing, "AWS query-string parameters must include '"+k+"'.")
		}
	}
	if len(missing) > 0 {
		return nil, errIncomplete("%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	for k, n := range count {
		if n > 1 {
			return nil, errIncomplete("AWS query-string parameter '%s' must appear only once.", k)
		}
	}
	if alg := get[qAlgorithm]; alg != algorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': %s; this server accepts only '%s'.", quote(alg), algorithm)
	}

	a := &authInfo{presigned: true, signature: get[qSignature], query: query, expires: defaultPresignExpires}
	var err *Error
	if a.scope, err = parseCredential(get[qCredential]); err != nil {
		return nil, err
	}
	if a.signedHeaders, err = parseSignedHeaders(get[qSignedHeaders], "the X-Amz-SignedHeaders query parameter"); err != nil {
		return nil, err
	}
	a.signedList = get[qSignedHeaders]
	t, ok := parseAmzTime(get[qDate])
	if !ok {
		return nil, errIncomplete("X-Amz-Date must be in ISO-8601 'basic format'. Got %s. See http://en.wikipedia.org/wiki/ISO_8601", quote(get[qDate]))
	}
	a.time, a.amzDate = t, get[qDate]
	if err := checkScopeDate(a); err != nil {
		return nil, err
	}
	if s, ok := get[qExpires]; ok {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || n < 1 || n > maxPresignExpires {
			return nil, errIncomplete("X-Amz-Expires must be a whole number of seconds from 1 to %d (one week), got %s.", maxPresignExpires, quote(s))
		}
		a.expires = time.Duration(n) * time.Second
	}
	if r.Header.Get(hdrSecurityToken) != "" && !contains(a.signedHeaders, "x-amz-security-token") {
		return nil, errIncomplete("'X-Amz-Security-Token' must be a 'SignedHeader' in the X-Amz-SignedHeaders query parameter.")
	}
	if vals := r.Header.Values(hdrContentSHA256); len(vals) > 0 {
		a.contentSHA256, a.hasContentSHA256 = strings.TrimSpace(vals[0]), true
	} else if c, ok := get[qContentSHA256]; ok {
		a.contentSHA256, a.hasContentSHA256 = c, true
	}
	if err := checkContentSHA256(a); err != nil {
		return nil, err
	}
	return a, nil
}

// checkContentSHA256 rejects streaming (aws-chunked) payload signing, which
// needs per-chunk verification no AppConfig client uses.
func checkContentSHA256(a *authInfo) *Error {
	if a.hasContentSHA256 && strings.HasPrefix(a.contentSHA256, "STREAMING-") {
		return errIncomplete("Streaming payload signing (X-Amz-Content-Sha256: %s) is not supported.", quote(a.contentSHA256))
	}
	return nil
}

// parseCredential parses AKID/YYYYMMDD/region/service/aws4_request.
func parseCredential(c string) (credentialScope, *Error) {
	if strings.Count(c, "/") != 4 {
		return credentialScope{}, errIncomplete("Credential must have exactly 5 slash-delimited elements, "+
			"e.g. keyid/date/region/service/term, got %s.", quote(c))
	}
	var parts [5]string // strings.Split's, without its allocation (every request parses one)
	rest := c
	for i := range 4 {
		parts[i], rest, _ = strings.Cut(rest, "/")
	}
	parts[4] = rest
	s := credentialScope{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}
	if s.accessKeyID == "" || len(s.accessKeyID) > maxAccessKeyIDLen {
		return credentialScope{}, errIncomplete("Credential must start with an access key id, got %s.", quote(c))
	}
	if _, err := time.Parse(amzDateFormat, s.date); err != nil || len(s.date) != len(amzDateFormat) {
		return credentialScope{}, errIncomplete("Credential date must be in YYYYMMDD format, got %s.", quote(s.date))
	}
	if !isScopeName(s.region) {
		return credentialScope{}, errInvalidSignature("Credential should be scoped to a valid region, not %s.", quote(s.region))
	}
	if !isScopeName(s.service) {
		return credentialScope{}, errInvalidSignature("Credential should be scoped to a valid service, not %s.", quote(s.service))
	}
	if parts[4] != scopeTerminator {
		return credentialScope{}, errInvalidSignature("Credential should be scoped with a valid terminator: '%s', not %s.", scopeTerminator, quote(parts[4]))
	}
	return s, nil
}

// isScopeName accepts AWS region and service names (lowercase letters,
// digits, hyphens). The region partitions the server's data, so anything
// else is refused rather than stored.
func isScopeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func parseSignedHeaders(list, where string) ([]string, *Error) {
	names := strings.Split(list, ";")
	for i, n := range names {
		if n == "" || strings.ContainsAny(n, " \t:") {
			return nil, errIncomplete("SignedHeaders %s is malformed.", quote(list))
		}
		names[i] = strings.ToLower(n)
	}
	if !contains(names, "host") {
		return nil, errIncomplete("'Host' or ':authority' must be a 'SignedHeader' in %s.", where)
	}
	return names, nil
}

func checkScopeDate(a *authInfo) *Error {
	if d := a.time.Format(amzDateFormat); d != a.scope.date {
		return errInvalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: %s != %s, from %s.",
			quote(a.scope.date), quote(d), quote(a.amzDate))
	}
	return nil
}

// parseAmzTime parses an ISO 8601 basic timestamp (20150830T123600Z),
// strictly: the string to sign uses it verbatim, so only the canonical
// spelling is accepted.
func parseAmzTime(s string) (time.Time, bool) {
	t, err := time.Parse(amzTimeFormat, s)
	if err != nil || t.Format(amzTimeFormat) != s {
		return time.Time{}, false
	}
	return t, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Scope reads the credential scope of r without verifying anything, for the
// "open" auth mode. It looks at the Authorization header, then at presigned
// query parameters (X-Amz-Credential). ok is false when r carries neither, or
// the credential is malformed. Account is left empty.
func Scope(r *http.Request) (Identity, bool) {
	var cred string
	if h := r.Header.Get(hdrAuthorization); h != "" {
		var ok bool
		if cred, ok = credentialField(h); !ok {
			return Identity{}, false
		}
	} else if r.URL != nil && mayHoldCredential(r.URL.RawQuery) {
		for _, p := range parseQuery(r.URL.RawQuery) {
			if p.key == qCredential {
				cred = p.value
				break
			}
		}
	}
	if cred == "" {
		return Identity{}, false
	}
	s, err := parseCredential(cred)
	if err != nil {
		return Identity{}, false
	}
	return Identity{AccessKeyID: s.accessKeyID, Region: s.region, Service: s.service}, true
}
