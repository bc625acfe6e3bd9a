package appconfig

import (
	"context"
	"errors"
	"time"
)

// Store is the persistence every backend (SQLite, PostgreSQL) provides: a
// small transactional document store. The service layer keeps every rule;
// a backend only keeps records, orders them, and schedules due work.
type Store interface {
	// Update runs fn in a read-write transaction; fn's error rolls it back.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// CreateCapped is Update with a body that calls only
	// InsertCapped(lock, q, limit, r) and, when that inserted, Insert of
	// each record of with (e.g. the new resource's tags) and Notify of
	// each topic; it returns InsertCapped's error, or Conflict when a
	// record of with exists. A backend may run it in one exchange with
	// its database (PostgreSQL: the calls waiting together share BEGIN,
	// the locks, one statement that counts, inserts and notifies, and
	// COMMIT in one pipelined batch).
	CreateCapped(ctx context.Context, lock string, q Query, limit int, r *Record, with []Record, topics ...string) error
	// ClaimDue hands records of kind whose DueAt is at or before now to fn,
	// each in its own read-write transaction with the record locked, so
	// that across replicas exactly one process handles a given record at a
	// time. fn typically updates or deletes the record (moving DueAt). It
	// returns how many records were handled; at most limit.
	ClaimDue(ctx context.Context, kind string, now time.Time, limit int, fn func(Tx, Record) error) (int, error)
	// NextDue returns the earliest DueAt among records of kind.
	NextDue(ctx context.Context, kind string) (time.Time, bool, error)
	// ScanDue calls fn for every record of kind that has a DueAt (for
	// deployments: the active ones), without locking them.
	ScanDue(ctx context.Context, kind string, fn func(Record) error) error
	// Wipe deletes every record except those of the kinds kept.
	Wipe(ctx context.Context, keep ...string) error
	// Subscribe delivers the topics passed to Tx.Notify by committed
	// transactions of any process sharing the store, until ctx ends. A
	// store that may have missed other processes' topics (a notification
	// connection lost and remade) delivers TopicReset.
	Subscribe(ctx context.Context) <-chan string
	// Ping checks that the store is reachable and migrated.
	Ping(ctx context.Context) error
	Close() error
}

// Key identifies a record.
type Key struct {
	Account, Region string
	Kind            string
	Parent          string // the owning resource's id path, "" at top level
	ID              string
}

// Record is one stored document.
type Record struct {
	Key
	Name  string    // secondary lookup key (resource names)
	Seq   int64     // assigned on insert: a store-wide creation order
	Body  []byte    // JSON document
	Data  []byte    // large payload, loaded only when asked for
	DueAt time.Time // zero: not scheduled
}

// Query selects records of one kind under one parent.
type Query struct {
	Account, Region string
	Kind            string
	Parent          string
	Name            string // exact name match when non-empty
	AfterSeq        int64  // ascending: Seq > AfterSeq; descending: Seq < AfterSeq (when > 0)
	Desc            bool
	Limit           int // 0: no limit
	WithData        bool
}

// Tx is a unit of work on the store.
type Tx interface {
	// Get returns the record; NotFound if absent. forUpdate locks it for
	// the rest of the transaction (a no-op where writers are serialized).
	Get(ctx context.Context, k Key, forUpdate, withData bool) (Record, error)
	// Insert adds a record and sets its Seq; Conflict if the key exists.
	Insert(ctx context.Context, r *Record) error
	// Put replaces the name, body and due time of an existing record (and
	// its data when r.Data is not nil); NotFound if absent.
	Put(ctx context.Context, r Record) error
	// Delete removes a record; NotFound if absent.
	Delete(ctx context.Context, k Key) error
	// DeleteAll removes every record matched by q (Name/Seq/Limit ignored)
	// and returns how many.
	DeleteAll(ctx context.Context, q Query) (int, error)
	// List returns the records matched by q in Seq order.
	List(ctx context.Context, q Query) ([]Record, error)
	// Count returns how many records q matches (Seq/Limit ignored).
	Count(ctx context.Context, q Query) (int, error)
	// Notify queues a topic delivered to subscribers once the
	// transaction commits.
	Notify(topic string)
	// Lock holds a named lock until the transaction ends, so that
	// transactions taking the same name run one after the other across
	// processes (a no-op where writers are serialized anyway).
	Lock(ctx context.Context, name string) error
	// InsertCapped is Lock(lock) (skipped when lock is "") followed by
	// Insert(r) done only while Count(q) is below limit: the count and the
	// insert are one statement that sees every transaction that held the
	// lock before, so transactions capping the same records under the
	// same lock never exceed limit together. ErrCapReached when limit
	// records already match (nothing inserted); Conflict if r's key
	// exists. A backend may send the lock and the insert together: it
	// returns once both are done.
	InsertCapped(ctx context.Context, lock string, q Query, limit int, r *Record) error
}

// ErrCapReached is InsertCapped's answer when the cap is reached; the
// caller words the quota error.
var ErrCapReached = errors.New("store: cap reached")
