package sqlstore_test

import (
	"context"
	"database/sql/driver"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
	"github.com/appconfigd/appconfigd/internal/store/sqlstore"
	sqlite3 "modernc.org/sqlite"
)

// cancelWrite is a write statement that changes nothing and, while it
// runs, calls test_midway once (SQLite rolls back the whole transaction
// when a write is interrupted).
const cancelWrite = `DELETE FROM records WHERE seq IN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) SELECT -x FROM c WHERE x != 10 OR test_midway())`

// midway runs inside cancelWrite's statement.
var midway atomic.Pointer[func()]

func init() {
	sqlite3.MustRegisterScalarFunction("test_midway", 0, func(*sqlite3.FunctionContext, []driver.Value) (driver.Value, error) {
		if f := midway.Load(); f != nil {
			(*f)()
		}
		return int64(1), nil
	})
}

// An Update whose context is cancelled while its statement runs must not
// take the other Updates of its commit group down with it, nor leave
// any Update reported failed but written, or reported written but lost.
func TestGroupCommitSurvivesACancelledMember(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	key := func(i int) appconfig.Key {
		return appconfig.Key{Account: "123456789012", Region: "us-east-1", Kind: "test", ID: strconv.Itoa(i)}
	}
	insert := func(i int) func(appconfig.Tx) error {
		return func(tx appconfig.Tx) error {
			return tx.Insert(ctx, &appconfig.Record{Key: key(i), Body: []byte(`{}`)})
		}
	}

	// Hold the committer so that what follows queues up as one group.
	release := make(chan struct{})
	held := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = st.Update(ctx, func(appconfig.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held

	const members = 10
	const victim = members / 2
	errs := make([]error, members)
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The victim's context ends while its statement runs; the pause lets
	// the driver's watcher see it before the statement goes on.
	cancelMidway := func() {
		cancel()
		time.Sleep(50 * time.Millisecond)
	}
	midway.Store(&cancelMidway)
	defer midway.Store(nil)
	for i := 0; i < members; i++ {
		fn := insert(i)
		uctx := ctx
		if i == victim {
			uctx = vctx
			fn = func(tx appconfig.Tx) error {
				if err := tx.Insert(vctx, &appconfig.Record{Key: key(victim), Body: []byte(`{}`)}); err != nil {
					return err
				}
				return sqlstore.ExecInTx(vctx, tx, cancelWrite)
			}
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = st.Update(uctx, fn)
		}(i)
		// Queue in order, so that members run both before and after the
		// victim within the group.
		for st.QueuedWrites() < i+1 {
			runtime.Gosched()
		}
	}
	close(release)
	wg.Wait()

	for i := 0; i < members; i++ {
		_, gerr := func() (appconfig.Record, error) {
			var r appconfig.Record
			err := st.View(ctx, func(tx appconfig.Tx) error {
				var err error
				r, err = tx.Get(ctx, key(i), false, false)
				return err
			})
			return r, err
		}()
		stored := gerr == nil
		if gerr != nil && !appconfig.IsNotFound(gerr) {
			t.Fatalf("member %d: read back: %v", i, gerr)
		}
		if (errs[i] == nil) != stored {
			t.Errorf("member %d: Update returned %v but the record stored = %v", i, errs[i], stored)
		}
		if i != victim && errs[i] != nil {
			t.Errorf("member %d (not cancelled): %v", i, errs[i])
		}
	}
}
