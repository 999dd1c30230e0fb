package review

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// outboxEvent is an event waiting for delivery.
type outboxEvent struct {
	moderation.Event
	Due       time.Time `json:"due"`
	LastError string    `json:"last_error,omitempty"`
}

// Outbox is the Desk's events as the webhook dispatcher sees them.
type Outbox struct{ d *Desk }

// Outbox returns the outbox of events for the product's webhook.
func (d *Desk) Outbox() Outbox { return Outbox{d} }

// Due leases up to n events due at now for lease.
func (o Outbox) Due(ctx context.Context, now time.Time, lease time.Duration, n int) ([]moderation.Event, error) {
	due, err := o.d.cfg.Store.Range(ctx, idxOutbox, RangeQuery{Min: math.Inf(-1), Max: float64(now.UnixMilli()), Limit: n})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var out []moderation.Event
	for _, m := range due {
		var ev outboxEvent
		var got bool
		err := o.d.cfg.Store.Update(ctx, func(tx Tx) error {
			t := &txn{tx: tx, now: now}
			got = false
			if ok, err := t.get(keyEvent+m.Member, &ev); err != nil || !ok {
				if err == nil {
					tx.Remove(idxOutbox, m.Member) // delivered meanwhile
				}
				return err
			}
			if ev.Due.After(now) {
				return nil // leased by another dispatcher meanwhile
			}
			ev.Due = now.Add(lease)
			t.put(keyEvent+ev.ID, ev, 0)
			tx.Add(idxOutbox, ev.ID, float64(ev.Due.UnixMilli()))
			got = true
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("outbox lease %s: %w", m.Member, err)
		}
		if got {
			out = append(out, ev.Event)
		}
	}
	return out, nil
}

// Delivered removes a delivered event.
func (o Outbox) Delivered(ctx context.Context, id string) error {
	return o.d.cfg.Store.Update(ctx, func(tx Tx) error {
		tx.Delete(keyEvent + id)
		tx.Remove(idxOutbox, id)
		return nil
	})
}

// Retry records a failed delivery and makes the event due again at at.
func (o Outbox) Retry(ctx context.Context, id string, at time.Time, reason string) error {
	return o.d.cfg.Store.Update(ctx, func(tx Tx) error {
		t := &txn{tx: tx}
		var ev outboxEvent
		if ok, err := t.get(keyEvent+id, &ev); err != nil || !ok {
			return err
		}
		ev.Attempts++
		ev.LastError = reason
		ev.Due = at
		t.put(keyEvent+id, ev, 0)
		tx.Add(idxOutbox, id, float64(at.UnixMilli()))
		return nil
	})
}

// Pending returns the number of events waiting for delivery.
func (o Outbox) Pending(ctx context.Context) (int, error) {
	return o.d.cfg.Store.Count(ctx, idxOutbox)
}
