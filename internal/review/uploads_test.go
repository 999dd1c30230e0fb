package review_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
)

// fileOf describes an upload whose hashes are hash64(n), hash64(n+1) (its
// one image) and the image's PDQ hash64(n+2).
func fileOf(n int) moderation.FileInfo {
	return moderation.FileInfo{SHA256: hash64(n), MediaType: "application/zip", Size: 300, Images: []moderation.ImageInfo{
		{Path: "holiday/a.jpg", MediaType: "image/jpeg", SHA256: hash64(n + 1), PDQ: hash64(n + 2), PDQQuality: 90},
	}}
}

// fileHashes is what a removal adds to a bank for fileOf(n).
func fileHashes(n int) []string {
	out := []string{"pdq:" + hash64(n+2), "sha256:" + hash64(n), "sha256:" + hash64(n+1)}
	slices.Sort(out)
	return out
}

func uploadOf(id, author string) moderation.Target {
	return moderation.Target{Type: moderation.TargetUpload, ID: id, UserID: author}
}

// reportUpload files a sexual-content report by reporter about upload id.
func (h *harness) reportUpload(reporter, id, author string) moderation.Report {
	h.t.Helper()
	r, _ := h.submit(moderation.Report{ReporterID: reporter, Target: uploadOf(id, author), Category: moderation.Sexual})
	return r
}

func (h *harness) remember(contentID, userID string, f moderation.FileInfo) {
	h.t.Helper()
	if err := h.desk.RememberUpload(h.t.Context(), contentID, userID, f); err != nil {
		h.t.Fatalf("RememberUpload(%s): %v", contentID, err)
	}
}

// putBank creates bank name, blocking sexual content.
func (h *harness) putBank(name string) {
	h.t.Helper()
	if _, _, err := h.desk.PutBank(h.t.Context(), "admin", review.BankRequest{Name: name, Category: moderation.Sexual, Action: moderation.Block, Distance: 31}); err != nil {
		h.t.Fatal(err)
	}
}

func TestReportAboutRememberedUpload(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		h.putBank("removed")
		h.remember("f1", "u1", fileOf(40))
		h.remember("f1", "u1", fileOf(10)) // the product replaced the file

		// The report names no author: the remembered one is the case's.
		r := h.reportUpload("r1", "f1", "")
		c := h.caseOf(r.CaseID)
		if c.File == nil || c.File.SHA256 != hash64(10) || len(c.File.Images) != 1 || c.File.Images[0].PDQ != hash64(12) {
			t.Fatalf("case file = %+v, want the file remembered last (%s)", c.File, hash64(10))
		}
		if c.Target.UserID != "u1" || c.Kind != moderation.KindReport {
			t.Errorf("case target %+v, kind %s", c.Target, c.Kind)
		}

		if _, err := h.desk.ClaimCase(ctx, "m1", r.CaseID); err != nil {
			t.Fatal(err)
		}
		req := remove(moderation.Sexual)
		req.Bank = "removed"
		o := h.decide("m1", r.CaseID, req)
		if !o.BanksChanged || len(o.Decision.BankEntries) != 3 {
			t.Fatalf("outcome: banks changed %v, entries %v; want 3", o.BanksChanged, o.Decision.BankEntries)
		}
		if got := h.bankHashes("removed"); !slices.Equal(got, fileHashes(10)) {
			t.Errorf("bank holds %v, want %v", got, fileHashes(10))
		}
		if got, _ := h.desk.Report(ctx, r.ID); got.Outcome != moderation.ReportUpheld {
			t.Errorf("report outcome %q, want upheld", got.Outcome)
		}
	})
}

func TestReportAboutUnknownUpload(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		h.putBank("removed")
		h.remember("f1", "u1", fileOf(10))

		// An upload nobody remembers, and a note whose id is that of a
		// remembered upload: no file.
		unknown := h.reportUpload("r1", "f9", "u1")
		note := h.report("r1", "f1", "u1", moderation.Sexual)
		for _, id := range []string{unknown.CaseID, note.CaseID} {
			if c := h.caseOf(id); c.File != nil {
				t.Errorf("case %s about %s %s has file %+v", id, c.Target.Type, c.Target.ID, c.File)
			}
		}
		if _, err := h.desk.ClaimCase(ctx, "m1", unknown.CaseID); err != nil {
			t.Fatal(err)
		}
		req := remove(moderation.Sexual)
		req.Reason, req.Bank = "nude image", "removed"
		_, err := h.desk.Decide(ctx, "m1", unknown.CaseID, req)
		wantCode(t, err, moderation.EINVALID)
		if msg := moderation.ErrorMessage(err); !strings.Contains(msg, "add_to_bank applies to removing an upload") {
			t.Errorf("message %q", msg)
		}
		if got := h.bankHashes("removed"); len(got) != 0 {
			t.Errorf("bank holds %v", got)
		}
	})
}

func TestReportedUploadCaseFile(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		// A case opened by a report before the upload was remembered gets
		// the file with the next report.
		first := h.reportUpload("r1", "f1", "u1")
		if c := h.caseOf(first.CaseID); c.File != nil {
			t.Fatalf("case has file %+v before the upload was remembered", c.File)
		}
		h.remember("f1", "u1", fileOf(10))
		second := h.reportUpload("r2", "f1", "u1")
		if c := h.caseOf(second.CaseID); second.CaseID != first.CaseID || c.File == nil || c.File.SHA256 != hash64(10) {
			t.Errorf("second report in case %s (first %s), file %+v", second.CaseID, first.CaseID, c.File)
		}

		// A screening case keeps its own file.
		screened := fileOf(20)
		upload := moderation.Content{Text: "excerpt", UserID: "u1", ContentID: "f2", File: &screened}
		caseID, err := h.desk.OpenScreeningCase(t.Context(), upload, verdict(moderation.Sexual, 0.7))
		if err != nil {
			t.Fatal(err)
		}
		h.remember("f2", "u1", fileOf(30))
		r := h.reportUpload("r1", "f2", "u1")
		if c := h.caseOf(r.CaseID); r.CaseID != caseID || c.File == nil || c.File.SHA256 != hash64(20) {
			t.Errorf("report in case %s (screening case %s), file %+v; want the screened file %s", r.CaseID, caseID, c.File, hash64(20))
		}
	})
}

func TestRememberUploadRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		wantCode(t, h.desk.RememberUpload(t.Context(), "", "u1", fileOf(10)), moderation.EINVALID)
	})
	if _, err := review.New(review.Config{Store: memstore.NewRecords(), UploadMemory: -time.Hour}); err == nil {
		t.Error("New accepted a negative UploadMemory")
	}
}

// ttlSpy is a Store that notes the lifetime of each document written.
type ttlSpy struct {
	review.Store
	mu   sync.Mutex
	ttls map[string]time.Duration
}

func (s *ttlSpy) Update(ctx context.Context, fn func(tx review.Tx) error) error {
	return s.Store.Update(ctx, func(tx review.Tx) error { return fn(spyTx{Tx: tx, s: s}) })
}

func (s *ttlSpy) ttl(key string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.ttls[key]
	return d, ok
}

type spyTx struct {
	review.Tx
	s *ttlSpy
}

func (tx spyTx) Put(key string, value []byte, ttl time.Duration) {
	tx.s.mu.Lock()
	tx.s.ttls[key] = ttl
	tx.s.mu.Unlock()
	tx.Tx.Put(key, value, ttl)
}

func TestUploadMemoryTTL(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name   string
				memory time.Duration
				want   time.Duration
			}{
				{"default", 0, review.DefaultUploadMemory},
				{"configured", 48 * time.Hour, 48 * time.Hour},
			} {
				spy := &ttlSpy{Store: b.new(t), ttls: map[string]time.Duration{}}
				h := newHarness(t, spy, review.Config{UploadMemory: tc.memory})
				h.remember("f1", "u1", fileOf(10))
				if got, ok := spy.ttl("upload-file:f1"); got != tc.want {
					t.Errorf("%s: the upload is kept for %s (written %v), want %s", tc.name, got, ok, tc.want)
				}
			}
		})
	}
	if review.DefaultUploadMemory != 90*24*time.Hour {
		t.Errorf("DefaultUploadMemory = %s, want 90 days", review.DefaultUploadMemory)
	}

	// On Redis, the key expires.
	t.Run("redis key", func(t *testing.T) {
		t.Parallel()
		client := redistest.Shared(t).Client(t)
		prefix := redistest.Prefix()
		h := newHarness(t, redisstore.NewRecords(client, prefix), review.Config{UploadMemory: 48 * time.Hour})
		h.remember("f1", "u1", fileOf(10))
		left, err := client.PTTL(t.Context(), prefix+"doc:upload-file:f1").Result()
		if err != nil {
			t.Fatal(err)
		}
		if left <= 47*time.Hour || left > 48*time.Hour {
			t.Errorf("the key expires in %s, want about 48h", left)
		}
	})
}
