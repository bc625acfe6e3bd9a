package featureflag

import (
	"bytes"
	"errors"
	"time"
)

// timestampLayout is how _createdAt/_updatedAt are written: RFC 3339 in
// UTC with milliseconds, e.g. 2024-05-01T12:00:00.000Z.
const timestampLayout = "2006-01-02T15:04:05.000Z"

const (
	createdAt = "_createdAt"
	updatedAt = "_updatedAt"
)

// Stamp returns the document to store with _createdAt/_updatedAt set on
// every flag definition and every values entry (objects only; nothing is
// added for keys the user did not send).
//
// previous is the prior stored version of the same profile, or nil. For
// each entry, compared with the entry of the same key and section in
// previous with _createdAt/_updatedAt ignored (everything else — including
// _deprecation and _variants — is content):
//   - unchanged: keeps the previous _createdAt and _updatedAt;
//   - changed: keeps the previous _createdAt, _updatedAt = now;
//   - new: both = now.
//
// Timestamps the user sent are replaced: the server owns them. A previous
// document that is not a JSON object counts as no previous version; a
// previous entry lacking a timestamp gets now for it. The result is compact
// JSON with members sorted by name, so Stamp is deterministic and
// Stamp(out, out, later) == out.
func Stamp(doc, previous []byte, now time.Time) ([]byte, error) {
	root, _, err := parseJSON(doc)
	if err != nil {
		return nil, err
	}
	if root.kind != kindObject {
		return nil, errors.New("feature flag document is not a JSON object")
	}
	var prev *node
	if previous != nil {
		if p, _, err := parseJSON(previous); err == nil && p.kind == kindObject {
			prev = p
		}
	}
	ts := now.UTC().Format(timestampLayout)
	for _, section := range []string{"flags", "values"} {
		sec := root.get(section)
		if sec == nil || sec.kind != kindObject {
			continue
		}
		prevSec := prev.get(section)
		for i, key := range sec.keys {
			entry := sec.vals[i]
			if entry.kind != kindObject {
				continue
			}
			created, updated := ts, ts
			if old := prevSec.get(key); old != nil && old.kind == kindObject {
				if s := stringMember(old, createdAt); s != "" {
					created = s
				}
				if s := stringMember(old, updatedAt); s != "" && sameContent(entry, old) {
					updated = s
				}
			}
			entry.set(createdAt, newString(created))
			entry.set(updatedAt, newString(updated))
		}
	}
	return root.encode(nil), nil
}

func stringMember(n *node, key string) string {
	if m := n.get(key); m != nil && m.kind == kindString {
		return m.s
	}
	return ""
}

func isTimestampKey(k string) bool { return k == createdAt || k == updatedAt }

// sameContent compares two entries ignoring their timestamps.
func sameContent(a, b *node) bool {
	return bytes.Equal(a.encode(isTimestampKey), b.encode(isTimestampKey))
}
