// Package appconfig is the vocabulary of appconfigd: domain types, error
// kinds and the Store interface. It depends on the standard library only.
package appconfig

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a domain error; the wire layer alone turns kinds
// into AWS exceptions.
type ErrorKind int

const (
	KindInternal ErrorKind = iota
	KindBadRequest
	KindNotFound
	KindConflict
	KindPayloadTooLarge
	KindQuotaExceeded
	KindThrottled
)

func (k ErrorKind) String() string {
	switch k {
	case KindBadRequest:
		return "BadRequest"
	case KindNotFound:
		return "NotFound"
	case KindConflict:
		return "Conflict"
	case KindPayloadTooLarge:
		return "PayloadTooLarge"
	case KindQuotaExceeded:
		return "QuotaExceeded"
	case KindThrottled:
		return "Throttled"
	}
	return "Internal"
}

// Error is a domain error. Optional fields carry the modeled members of
// the AWS exception the kind maps to.
type Error struct {
	Kind    ErrorKind
	Message string

	// NotFound: the control plane's ResourceName, the data plane's
	// ResourceType and ReferencedBy.
	ResourceName string
	ResourceType string
	ReferencedBy map[string]string

	// BadRequest: Reason (InvalidConfiguration / InvalidParameters) and details.
	Reason               string
	InvalidConfiguration []InvalidConfiguration
	InvalidParameters    map[string]string // parameter -> problem

	// PayloadTooLarge.
	Measure     string
	Limit, Size float64

	// Cause is an underlying error kept for logs, never sent to clients.
	Cause error
}

// InvalidConfiguration is one detail of a failed validation.
type InvalidConfiguration struct {
	Constraint, Location, Reason, Type, Value string
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Cause)
	}
	return e.Kind.String() + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// KindOf returns the kind of err (KindInternal for foreign errors).
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsNotFound reports whether err is a NotFound domain error.
func IsNotFound(err error) bool { return err != nil && KindOf(err) == KindNotFound }

// IsConflict reports whether err is a Conflict domain error.
func IsConflict(err error) bool { return err != nil && KindOf(err) == KindConflict }

// BadRequest builds a BadRequest error.
func BadRequest(format string, args ...any) *Error {
	return &Error{Kind: KindBadRequest, Message: fmt.Sprintf(format, args...)}
}

// NotFound builds a NotFound error naming the missing resource.
func NotFound(resourceName, format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, ResourceName: resourceName, Message: fmt.Sprintf(format, args...)}
}

// Conflict builds a Conflict error.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

// QuotaExceeded builds a QuotaExceeded error.
func QuotaExceeded(format string, args ...any) *Error {
	return &Error{Kind: KindQuotaExceeded, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error.
func Internal(cause error, format string, args ...any) *Error {
	return &Error{Kind: KindInternal, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// InvalidConfigurationError is the BadRequest of a configuration that
// failed validation.
func InvalidConfigurationError(message string, details []InvalidConfiguration) *Error {
	return &Error{Kind: KindBadRequest, Message: message, Reason: "InvalidConfiguration", InvalidConfiguration: details}
}
