package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	appconfig "github.com/appconfigd/appconfigd"
)

// Mode is how requests are authenticated.
type Mode string

const (
	// ModeOpen accepts any signature (or none): the region comes from the
	// credential scope and the account from a 12-digit access key id.
	ModeOpen Mode = "open"
	// ModeSigV4 verifies every request against the credentials file.
	ModeSigV4 Mode = "sigv4"
)

// ParseMode validates a --auth value.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeOpen, ModeSigV4:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown auth mode %q (want open or sigv4)", s)
}

// Authenticator turns a request into the scope it acts in.
type Authenticator struct {
	Mode           Mode
	Verifier       *Verifier // required in ModeSigV4
	DefaultAccount string
	DefaultRegion  string
}

// Authenticate implements the wire layer's Authenticator.
func (a *Authenticator) Authenticate(r *http.Request, body []byte) (appconfig.Scope, error) {
	sc := appconfig.Scope{Account: a.DefaultAccount, Region: a.DefaultRegion}
	if a.Mode == ModeSigV4 {
		sum := sha256.Sum256(body)
		id, err := a.Verifier.Verify(r, hex.EncodeToString(sum[:]))
		if err != nil {
			return sc, err
		}
		if id.Account != "" {
			sc.Account = id.Account
		}
		if id.Region != "" {
			sc.Region = id.Region
		}
		return sc, nil
	}
	if id, ok := Scope(r); ok {
		if id.Region != "" {
			sc.Region = id.Region
		}
		if IsAccountID(id.AccessKeyID) {
			sc.Account = id.AccessKeyID
		}
	}
	return sc, nil
}
