package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// TestWaveCounter runs the WaveCounter contract. newCounter returns a new,
// empty counter that counts at most maxUsers distinct users per text key.
//
// The contract, beyond the port's comment: a sighting counts while it is
// less than window old, at millisecond resolution; seeing a user again keeps
// the later of the two times; above the cap the oldest sightings are
// forgotten first, so the count stays at the cap.
func TestWaveCounter(t *testing.T, newCounter func(t *testing.T, maxUsers int) moderation.WaveCounter) {
	// Fixed times make the window arithmetic exact. Windows are long next
	// to the test's run time, so a store that expires keys by its own clock
	// does not lose them mid-test.
	t0 := time.Now().Truncate(time.Second)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	const minute = time.Minute

	tests := []struct {
		name     string
		maxUsers int
		steps    []step
	}{
		{"one user", 100, []step{
			{"t", "u1", at(0), minute, 1},
		}},
		{"same user twice counts once", 100, []step{
			{"t", "u1", at(0), minute, 1},
			{"t", "u1", at(time.Second), minute, 1},
		}},
		{"distinct users", 100, []step{
			{"t", "u1", at(0), minute, 1},
			{"t", "u2", at(1 * time.Millisecond), minute, 2},
			{"t", "u3", at(2 * time.Millisecond), minute, 3},
			{"t", "u1", at(3 * time.Millisecond), minute, 3},
			{"t", "u4", at(4 * time.Millisecond), minute, 4},
		}},
		{"window slides", 100, []step{
			{"t", "u1", at(0), minute, 1},
			{"t", "u2", at(30 * time.Second), minute, 2},
			{"t", "u3", at(61 * time.Second), minute, 2},
			{"t", "u4", at(95 * time.Second), minute, 2},
		}},
		{"a sighting exactly one window old does not count", 100, []step{
			{"t", "u1", at(0), minute, 1},
			{"t", "u2", at(minute - time.Millisecond), minute, 2},
			{"t", "u3", at(minute), minute, 2},
		}},
		{"seeing a user again refreshes them", 100, []step{
			{"t", "u1", at(0), minute, 1},
			{"t", "u1", at(50 * time.Second), minute, 1},
			{"t", "u2", at(70 * time.Second), minute, 2},
		}},
		{"a late sighting keeps the later time", 100, []step{
			{"t", "u1", at(50 * time.Second), minute, 1},
			{"t", "u1", at(0), minute, 1},
			{"t", "u2", at(70 * time.Second), minute, 2},
		}},
		{"text keys independent", 100, []step{
			{"t1", "u1", at(0), minute, 1},
			{"t1", "u2", at(1 * time.Millisecond), minute, 2},
			{"t2", "u1", at(2 * time.Millisecond), minute, 1},
			{"t1", "u3", at(3 * time.Millisecond), minute, 3},
			{"t2", "u4", at(4 * time.Millisecond), minute, 2},
		}},
		{"count stops at the cap", 5, []step{
			{"t", "u1", at(1 * time.Second), minute, 1},
			{"t", "u2", at(2 * time.Second), minute, 2},
			{"t", "u3", at(3 * time.Second), minute, 3},
			{"t", "u4", at(4 * time.Second), minute, 4},
			{"t", "u5", at(5 * time.Second), minute, 5},
			{"t", "u6", at(6 * time.Second), minute, 5},
			{"t", "u7", at(7 * time.Second), minute, 5},
			{"t", "u8", at(8 * time.Second), minute, 5},
			{"t", "u8", at(9 * time.Second), minute, 5},
			{"t", "u1", at(10 * time.Second), minute, 5},
		}},
		{"the cap keeps the most recent users", 5, []step{
			{"t", "u1", at(1 * time.Second), 10 * time.Second, 1},
			{"t", "u2", at(2 * time.Second), 10 * time.Second, 2},
			{"t", "u3", at(3 * time.Second), 10 * time.Second, 3},
			{"t", "u4", at(4 * time.Second), 10 * time.Second, 4},
			{"t", "u5", at(5 * time.Second), 10 * time.Second, 5},
			{"t", "u6", at(6 * time.Second), 10 * time.Second, 5},
			{"t", "u7", at(7 * time.Second), 10 * time.Second, 5},
			{"t", "u8", at(8 * time.Second), 10 * time.Second, 5},
			// u4 and u5 are out of the window, u1 to u3 were forgotten at
			// the cap; u6 to u8 remain.
			{"t", "u9", at(15500 * time.Millisecond), 10 * time.Second, 4},
		}},
		{"cap of one", 1, []step{
			{"t", "u1", at(0), minute, 1},
			{"t", "u2", at(1 * time.Millisecond), minute, 1},
			{"t", "u2", at(2 * time.Millisecond), minute, 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newCounter(t, tc.maxUsers)
			for i, s := range tc.steps {
				got, err := w.Observe(t.Context(), s.textKey, s.user, s.now, s.window)
				if err != nil {
					t.Fatalf("step %d: Observe(%s, %s, t0+%v, %v): %v", i, s.textKey, s.user, s.now.Sub(t0), s.window, err)
				}
				if got != s.want {
					t.Errorf("step %d: Observe(%s, %s, t0+%v, %v) = %d, want %d", i, s.textKey, s.user, s.now.Sub(t0), s.window, got, s.want)
				}
			}
		})
	}

	t.Run("invalid window", func(t *testing.T) {
		w := newCounter(t, 100)
		for _, window := range []time.Duration{0, -time.Second} {
			_, err := w.Observe(t.Context(), "t", "u1", t0, window)
			if code := moderation.ErrorCode(err); code != moderation.EINVALID {
				t.Errorf("Observe with window %v: error %v (code %q), want code %q", window, err, code, moderation.EINVALID)
			}
		}
	})

	t.Run("window passes in real time", func(t *testing.T) {
		const window = 150 * time.Millisecond
		w := newCounter(t, 100)
		first := time.Now()
		observe(t, w, "t", "u1", first, window)
		deadline := time.Now().Add(5 * time.Second)
		for {
			now := time.Now()
			n := observe(t, w, "t", "u2", now, window)
			if n == 1 {
				// Sightings are kept at millisecond resolution.
				if now.UnixMilli()-first.UnixMilli() < window.Milliseconds() {
					t.Fatalf("u1 stopped counting %v after it was seen, window %v", now.Sub(first), window)
				}
				return
			}
			if now.After(deadline) {
				t.Fatalf("u1 still counts 5s after it was seen, window %v", window)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("concurrent observers", func(t *testing.T) {
		const workers, users = 10, 20
		w := newCounter(t, 1000)
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				for u := range users {
					user := fmt.Sprintf("u%d-%d", g, u)
					for range 2 {
						if _, err := w.Observe(t.Context(), "t", user, t0, minute); err != nil {
							t.Errorf("Observe: %v", err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		if n := observe(t, w, "t", "u0-0", t0, minute); n != workers*users {
			t.Errorf("count after %d distinct users = %d", workers*users, n)
		}
	})
}

type step struct {
	textKey, user string
	now           time.Time
	window        time.Duration
	want          int
}

func observe(t *testing.T, w moderation.WaveCounter, textKey, user string, now time.Time, window time.Duration) int {
	t.Helper()
	n, err := w.Observe(t.Context(), textKey, user, now, window)
	if err != nil {
		t.Fatalf("Observe(%s, %s): %v", textKey, user, err)
	}
	return n
}
