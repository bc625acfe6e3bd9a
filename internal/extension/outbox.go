package extension

import (
	"context"
	"errors"
	"fmt"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/duework"
	"github.com/appconfigd/appconfigd/internal/records"
)

// backoff is the wait after the n-th failed attempt: 1 s doubling to at
// most 10 minutes (12 attempts span about 37 minutes).
func backoff(n int) time.Duration {
	d := time.Second << (n - 1)
	if n > 10 || d > 10*time.Minute {
		return 10 * time.Minute
	}
	return d
}

// Kick asks the outbox to look for deliveries now.
func (x *Extensions) Kick() { x.work.Kick() }

// Outbox delivers the invocations the extensions queued (ON_* action
// points) and writes each outcome onto its deployment's event log
// through the deployment lifecycle. It is built after the lifecycle,
// which runs the extensions' hooks: extensions → lifecycle → outbox.
type Outbox struct {
	x           *Extensions
	deployments *deploy.Lifecycle
}

// NewOutbox builds the outbox of x, recording outcomes through
// deployments.
func NewOutbox(x *Extensions, deployments *deploy.Lifecycle) *Outbox {
	return &Outbox{x: x, deployments: deployments}
}

// Run delivers queued invocations until ctx ends.
func (o *Outbox) Run(ctx context.Context) { o.x.work.Run(ctx, o.deliverDue) }

// DeliverDue makes one attempt at every delivery that is due and returns
// how many it claimed. Tests on a fake clock call it directly.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	return o.x.work.Round(ctx, o.deliverDue)
}

func (o *Outbox) deliverDue(ctx context.Context) (int, error) {
	return duework.Claims(ctx, o.x.work, 64, 16, false, o.claim, func(ctx context.Context, rec appconfig.Record) {
		if err := o.attempt(ctx, rec); err != nil && ctx.Err() == nil {
			o.x.cfg.Logger.Warn("recording an extension delivery failed", "id", rec.ID, "err", err)
		}
	})
}

// claim takes a due delivery inside its claim transaction: the attempt is
// leased (another process retries it only if this one dies before
// finishing) and returned to make outside the transaction; a corrupt
// record is dropped.
func (o *Outbox) claim(ctx context.Context, tx appconfig.Tx, rec appconfig.Record, now time.Time) (*appconfig.Record, error) {
	x := o.x
	d, err := records.Deliveries.Decode(rec)
	if errors.Is(err, records.ErrNewerVersion) {
		return nil, err // a newer replica's: postponed, left to it
	}
	if err != nil {
		x.cfg.Logger.Error("corrupt delivery record dropped", "id", rec.ID, "err", err)
		return nil, tx.Delete(ctx, rec.Key)
	}
	d.Attempts++
	d.LeaseOwner = x.work.Owner()
	rec.Body = records.Deliveries.Encode(d) // the attempt reads the leased body
	rec.DueAt = now.Add(x.cfg.Lease)
	if err := tx.Put(ctx, rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

func (o *Outbox) attempt(ctx context.Context, rec appconfig.Record) error {
	x := o.x
	d, err := records.Deliveries.Decode(rec)
	if err != nil {
		return err
	}
	r := x.inv.Invoke(ctx, d.Scope, Target(d.Target), d.Point, d.Payload)
	x.observe(d.Point, r)
	return x.cfg.Store.Update(ctx, func(tx appconfig.Tx) error {
		now, cur, err := records.Deliveries.Get(ctx, tx, rec.Key, true)
		if appconfig.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if now.LeaseOwner != x.work.Owner() || now.Attempts != d.Attempts {
			return nil // our lease lapsed and another process took over
		}
		code, msg := "", ""
		done := !r.failed()
		if r.failed() {
			code, msg = r.ErrorCode, r.Error
			if d.Attempts >= x.cfg.MaxAttempts {
				done = true
				msg = fmt.Sprintf("%s (gave up after %d attempts)", msg, d.Attempts)
			} else {
				msg = fmt.Sprintf("%s (attempt %d of %d; retrying)", msg, d.Attempts, x.cfg.MaxAttempts)
			}
		}
		if err := o.deployments.NoteDelivery(ctx, tx, d.Deployment, d.Event, d.InvocationID, code, msg); err != nil {
			return err
		}
		if done {
			return tx.Delete(ctx, cur.Key)
		}
		now.LeaseOwner = ""
		cur.DueAt = x.cfg.Clock.Now().Add(backoff(d.Attempts))
		return records.Deliveries.Put(ctx, tx, cur, now)
	})
}
