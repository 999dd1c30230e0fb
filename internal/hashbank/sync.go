package hashbank

import (
	"context"
	"log/slog"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// Source is where the banks are kept: *review.Desk is one.
type Source interface {
	// BanksVersion counts the changes made to the banks so far.
	BanksVersion(ctx context.Context) (int64, error)
	// BankSnapshot returns every bank and entry and their version.
	BankSnapshot(ctx context.Context) (int64, []moderation.Bank, []moderation.BankEntry, error)
}

// Syncer keeps an Index in step with a Source: at each poll, and at once
// when told of a change, it rebuilds the index if the banks' version moved.
// Polling lets every instance see changes made through the others.
type Syncer struct {
	src   Source
	index *Index
	log   *slog.Logger
	wake  chan struct{}
}

// NewSyncer returns a Syncer that fills index from src.
func NewSyncer(src Source, index *Index, log *slog.Logger) *Syncer {
	return &Syncer{src: src, index: index, log: log, wake: make(chan struct{}, 1)}
}

// Changed asks for a refresh now. It never blocks.
func (s *Syncer) Changed() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Refresh rebuilds the index if the banks changed since it was built.
func (s *Syncer) Refresh(ctx context.Context) error {
	v, err := s.src.BanksVersion(ctx)
	if err != nil || v == s.index.Version() {
		return err
	}
	v, banks, entries, err := s.src.BankSnapshot(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := s.index.Replace(v, banks, entries); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "hash banks loaded", "version", v, "banks", len(banks), "entries", len(entries), "took", time.Since(start).String())
	return nil
}

// Run refreshes the index every interval and when Changed is called, until
// ctx ends. A failed refresh keeps the index in force and is retried.
func (s *Syncer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "refreshing the hash banks failed; the banks loaded before stay in force", moderation.ErrorAttrs(err)...)
		}
	}
}
