package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Credential is one access key known to the server.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	// Account is the 12-digit AWS account id the key belongs to; empty means
	// the caller applies its default account.
	Account string
}

// Credentials looks up secrets by access key id.
type Credentials interface {
	Lookup(accessKeyID string) (Credential, bool)
}

// StaticCredentials is an immutable in-memory Credentials, safe for
// concurrent use.
type StaticCredentials struct {
	byKey map[string]Credential
}

// NewStaticCredentials returns a Credentials holding creds. A later entry
// with the same access key id replaces an earlier one.
func NewStaticCredentials(creds ...Credential) *StaticCredentials {
	m := make(map[string]Credential, len(creds))
	for _, c := range creds {
		m[c.AccessKeyID] = c
	}
	return &StaticCredentials{byKey: m}
}

// Lookup returns the credential for accessKeyID.
func (s *StaticCredentials) Lookup(accessKeyID string) (Credential, bool) {
	if s == nil {
		return Credential{}, false
	}
	c, ok := s.byKey[accessKeyID]
	return c, ok
}

// Len reports how many access keys are known.
func (s *StaticCredentials) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byKey)
}

// LoadCredentialsFile reads an AWS-shared-credentials-style INI file; see
// ParseCredentials for the format.
func LoadCredentialsFile(path string) (*StaticCredentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	creds, err := ParseCredentials(f)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return creds, nil
}

// Keys understood in a credentials section. Other keys (region, output,
// aws_session_token, ...) are ignored so an existing AWS credentials file
// can be reused as is.
const (
	keyAccessKeyID = "aws_access_key_id"
	keySecret      = "aws_secret_access_key"
	keyAccount     = "aws_account_id"
)

// ParseCredentials reads credentials in the AWS shared credentials format:
//
//	# comment, or ; comment
//	[any-section-name]
//	aws_access_key_id = AKIDEXAMPLE
//	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
//	aws_account_id = 123456789012   (optional)
//
// Sections without an access key id are skipped. Errors name the line.
func ParseCredentials(r io.Reader) (*StaticCredentials, error) {
	type section struct {
		name   string
		line   int
		values map[string]string
		lines  map[string]int
	}
	var (
		sections   []*section
		cur        *section
		seenByName = map[string]int{}
	)
	sc := bufio.NewScanner(r)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // editors on Windows add a BOM
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: section header %q lacks a closing ']'", lineNo, line)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if name == "" {
				return nil, fmt.Errorf("line %d: empty section name", lineNo)
			}
			if first, dup := seenByName[name]; dup {
				return nil, fmt.Errorf("line %d: duplicate section [%s] (first on line %d)", lineNo, name, first)
			}
			seenByName[name] = lineNo
			cur = &section{name: name, line: lineNo, values: map[string]string{}, lines: map[string]int{}}
			sections = append(sections, cur)
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected 'key = value' or '[section]', got %q", lineNo, line)
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		if key == "" {
			return nil, fmt.Errorf("line %d: missing key before '='", lineNo)
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: %s appears before any [section]", lineNo, key)
		}
		if first, dup := cur.lines[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate %s in section [%s] (first on line %d)", lineNo, key, cur.name, first)
		}
		cur.values[key] = value
		cur.lines[key] = lineNo
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}

	var creds []Credential
	firstLine := map[string]int{}
	for _, s := range sections {
		id, hasID := s.values[keyAccessKeyID]
		secret, hasSecret := s.values[keySecret]
		account, hasAccount := s.values[keyAccount]
		if !hasID {
			if hasSecret || hasAccount {
				return nil, fmt.Errorf("line %d: section [%s] has credentials but no %s", s.line, s.name, keyAccessKeyID)
			}
			continue // e.g. a profile that only sets region
		}
		idLine := s.lines[keyAccessKeyID]
		if err := checkAccessKeyID(id); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", idLine, keyAccessKeyID, err)
		}
		if !hasSecret {
			return nil, fmt.Errorf("line %d: section [%s] has no %s", s.line, s.name, keySecret)
		}
		if secret == "" {
			return nil, fmt.Errorf("line %d: %s is empty", s.lines[keySecret], keySecret)
		}
		if hasAccount && !IsAccountID(account) {
			return nil, fmt.Errorf("line %d: %s must be exactly 12 digits, got %q", s.lines[keyAccount], keyAccount, account)
		}
		if first, dup := firstLine[id]; dup {
			return nil, fmt.Errorf("line %d: duplicate %s %q (first on line %d)", idLine, keyAccessKeyID, id, first)
		}
		firstLine[id] = idLine
		creds = append(creds, Credential{AccessKeyID: id, SecretAccessKey: secret, Account: account})
	}
	if len(creds) == 0 {
		return nil, errors.New("no credentials found (need a section with aws_access_key_id and aws_secret_access_key)")
	}
	return NewStaticCredentials(creds...), nil
}

// checkAccessKeyID rejects ids that could never appear in a SigV4 credential
// scope, so a typo fails at startup rather than as a mysterious 403.
func checkAccessKeyID(id string) error {
	if id == "" {
		return errors.New("is empty")
	}
	if len(id) > maxAccessKeyIDLen {
		return fmt.Errorf("longer than %d characters", maxAccessKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c == '/' || c >= 0x7f {
			return fmt.Errorf("%q contains %q; access key ids cannot contain '/', spaces or control characters", id, c)
		}
	}
	return nil
}

const maxAccessKeyIDLen = 128

// IsAccountID reports whether s is an AWS account id: exactly 12 ASCII digits.
// (Open auth mode uses it to decide whether an access key id names an account.)
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
