package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/prom"
	"github.com/aup-dev/aup/internal/rules"
)

// BenchmarkObserver is what the Prometheus observer adds to a check, next
// to no observer: on a local cache hit (one counter) and on a miss (two
// counters and the timed detection). The rules are the tests' small set, so
// that the observer's share is as large as it gets.
func BenchmarkObserver(b *testing.B) {
	det, err := lingua.New(lingua.Options{})
	if err != nil {
		b.Fatal(err)
	}
	observers := []struct {
		name string
		obs  Observer
	}{{"none", nil}, {"prometheus", prom.NewMetrics(prometheus.NewRegistry())}}
	set, err := rules.Load(testRules())
	if err != nil {
		b.Fatal(err)
	}
	notes := benchNotes(1000)
	ctx := context.Background()
	for _, o := range observers {
		e, err := New(set, Options{Detector: det, Local: memstore.NewCache(100), Observer: o.obs})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("hit/"+o.name, func(b *testing.B) {
			c := moderation.Content{Text: notes[0]}
			if _, err := e.Screen(ctx, c); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.Screen(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("miss/"+o.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := e.Screen(ctx, moderation.Content{Text: notes[i%len(notes)] + fmt.Sprint(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
