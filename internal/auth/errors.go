package auth

import (
	"fmt"
	"net/http"
)

// AWS error codes returned by Verify. They are the codes AWS JSON services
// send for authentication failures, so SDKs classify them correctly (for
// example, the SDKs treat InvalidSignatureException with a skew message as a
// clock-skew error and retry with a corrected clock).
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeInternalFailure            = "InternalFailure"
)

// Messages AWS uses verbatim; clients and humans search for these strings.
const (
	msgMissingAuthenticationToken = "Missing Authentication Token"
	msgUnrecognizedClient         = "The security token included in the request is invalid."
	msgSignatureMismatch          = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Error is an authentication failure in the form AWS clients expect. The wire
// layer encodes it as an AWS JSON error: header X-Amzn-ErrorType: Code, body
// {"__type": Code, "Message": Message}, HTTP status Status.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errMissingAuth() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Status: http.StatusForbidden, Message: msgMissingAuthenticationToken}
}

func errIncomplete(format string, args ...any) *Error {
	return &Error{Code: CodeIncompleteSignature, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func errUnrecognizedClient() *Error {
	return &Error{Code: CodeUnrecognizedClient, Status: http.StatusForbidden, Message: msgUnrecognizedClient}
}

func errInvalidSignature(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidSignature, Status: http.StatusForbidden, Message: fmt.Sprintf(format, args...)}
}

func errSignatureMismatch() *Error {
	return &Error{Code: CodeInvalidSignature, Status: http.StatusForbidden, Message: msgSignatureMismatch}
}

func errInternal(msg string) *Error {
	return &Error{Code: CodeInternalFailure, Status: http.StatusInternalServerError, Message: msg}
}

// quote bounds client-supplied text echoed in messages, and blanks control
// characters, so a hostile request cannot bloat error bodies or forge log lines.
func quote(s string) string {
	const max = 128
	truncated := len(s) > max
	if truncated {
		s = s[:max]
	}
	b := make([]byte, 0, len(s)+5)
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			c = '?'
		}
		b = append(b, c)
	}
	if truncated {
		b = append(b, "..."...)
	}
	return string(append(b, '\''))
}
