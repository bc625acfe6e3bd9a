package service

import (
	"context"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

// resetDuringList is a transaction whose List sees a reset arrive while
// the index is being loaded (a notification listener reconnecting).
type resetDuringList struct {
	appconfig.Tx
	x *assocIndex
}

func (r resetDuringList) List(ctx context.Context, q appconfig.Query) ([]appconfig.Record, error) {
	r.x.onTopic(appconfig.Topic{Kind: appconfig.TopicKindReset})
	return nil, nil
}

// A load that a reset overtook is answered but not kept, even for a scope
// that was not cached when the reset came.
func TestAssocIndexLoadOvertakenByReset(t *testing.T) {
	x := newAssocIndex()
	sc := appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	if _, err := x.of(context.Background(), resetDuringList{x: x}, sc, "arn"); err != nil {
		t.Fatal(err)
	}
	x.mu.Lock()
	_, kept := x.scopes[sc]
	x.mu.Unlock()
	if kept {
		t.Fatal("the index read before the reset was kept")
	}
}
