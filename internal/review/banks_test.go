package review_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/hashbank"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func hash64(i int) string { return fmt.Sprintf("%064x", i+1) }

func TestBanks(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		d := h.desk
		v0, err := d.BanksVersion(ctx)
		if err != nil || v0 != 0 {
			t.Fatalf("BanksVersion of nothing = %d, %v", v0, err)
		}
		req := review.BankRequest{Name: "removed-media", Category: moderation.Sexual, Action: moderation.Review, Distance: 31}
		b, created, err := d.PutBank(ctx, "admin", req)
		if err != nil || !created || b.CreatedBy != "admin" {
			t.Fatalf("PutBank = %+v, %v, %v", b, created, err)
		}
		req.Action = moderation.Block
		if b, created, err = d.PutBank(ctx, "admin2", req); err != nil || created || b.Action != moderation.Block || b.CreatedBy != "admin" {
			t.Fatalf("PutBank again = %+v, %v, %v", b, created, err)
		}

		// Entries: added once, listed in order, counted on the bank.
		e1, created, err := d.AddBankEntry(ctx, "admin", "removed-media", review.BankEntryRequest{Kind: moderation.HashPDQ, Hash: strings.ToUpper(hash64(1)), Note: "case 12"})
		if err != nil || !created || e1.Hash != hash64(1) {
			t.Fatalf("AddBankEntry = %+v, %v, %v", e1, created, err)
		}
		again, created, err := d.AddBankEntry(ctx, "admin", "removed-media", review.BankEntryRequest{Kind: moderation.HashPDQ, Hash: hash64(1)})
		if err != nil || created || again.ID != e1.ID {
			t.Fatalf("the same hash again = %+v, %v, %v; want entry %s, not created", again, created, err, e1.ID)
		}
		for i := 2; i <= 5; i++ {
			h.clock.Advance(time.Second) // entries list oldest first
			if _, _, err := d.AddBankEntry(ctx, "admin", "removed-media", review.BankEntryRequest{Kind: moderation.HashSHA256, Hash: hash64(i)}); err != nil {
				t.Fatal(err)
			}
		}
		page, next, err := d.BankEntries(ctx, "removed-media", 0, 3)
		if err != nil || len(page) != 3 || next != 3 || page[0].ID != e1.ID {
			t.Fatalf("BankEntries page 1 = %d entries, next %d, %v", len(page), next, err)
		}
		page, next, err = d.BankEntries(ctx, "removed-media", next, 3)
		if err != nil || len(page) != 2 || next != 0 {
			t.Fatalf("BankEntries page 2 = %d entries, next %d, %v", len(page), next, err)
		}
		if b, _ := d.Bank(ctx, "removed-media"); b.Entries != 5 {
			t.Fatalf("bank counts %d entries, want 5", b.Entries)
		}

		// The snapshot builds an index that matches what was added.
		v, banks, entries, err := d.BankSnapshot(ctx)
		if err != nil || v <= v0 || len(banks) != 1 || len(entries) != 5 {
			t.Fatalf("BankSnapshot = v%d, %d banks, %d entries, %v", v, len(banks), len(entries), err)
		}
		var x hashbank.Index
		if err := x.Replace(v, banks, entries); err != nil {
			t.Fatal(err)
		}
		sha, _ := hashbank.ParseHash(hash64(3))
		if m := x.Match(&sha, nil); len(m) != 1 || m[0].Action != moderation.Block || m[0].Category != moderation.Sexual {
			t.Fatalf("Match = %+v", m)
		}

		// Deleting: entries first, then the bank; each change moves the version.
		wantCode(t, d.DeleteBank(ctx, "admin", "removed-media"), moderation.ECONFLICT)
		wantCode(t, d.DeleteBankEntry(ctx, "admin", "other-bank", e1.ID), moderation.ENOTFOUND)
		if err := d.DeleteBankEntry(ctx, "admin", "removed-media", e1.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, d.DeleteBankEntry(ctx, "admin", "removed-media", e1.ID), moderation.ENOTFOUND)
		if _, created, _ := d.AddBankEntry(ctx, "admin", "removed-media", review.BankEntryRequest{Kind: moderation.HashPDQ, Hash: hash64(1)}); !created {
			t.Fatal("a deleted hash could not be added again")
		}
		_, _, entries, _ = d.BankSnapshot(ctx)
		for _, e := range entries {
			if err := d.DeleteBankEntry(ctx, "admin", "removed-media", e.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.DeleteBank(ctx, "admin", "removed-media"); err != nil {
			t.Fatal(err)
		}
		if banks, _ := d.Banks(ctx); len(banks) != 0 {
			t.Fatalf("banks after delete: %+v", banks)
		}
		v2, _ := d.BanksVersion(ctx)
		if v2 <= v {
			t.Fatalf("version %d after deletes, was %d", v2, v)
		}

		// Every change is audited.
		audit, _, err := d.Audit(ctx, review.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range audit {
			counts[e.Action]++
		}
		if counts["hashbank.created"] != 1 || counts["hashbank.changed"] != 1 || counts["hashbank.entry_added"] != 6 ||
			counts["hashbank.entry_deleted"] != 6 || counts["hashbank.deleted"] != 1 {
			t.Fatalf("audit counts %v", counts)
		}
	})
}

func TestBankRequestsRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		d := h.desk
		good := review.BankRequest{Name: "b", Category: moderation.ChildSafety, Action: moderation.Block, Distance: 31}
		for name, mod := range map[string]func(r *review.BankRequest){
			"bad name":         func(r *review.BankRequest) { r.Name = "Bad Name" },
			"profanity":        func(r *review.BankRequest) { r.Category = moderation.Profanity },
			"unknown":          func(r *review.BankRequest) { r.Category = "nope" },
			"allow":            func(r *review.BankRequest) { r.Action = moderation.Allow },
			"negative":         func(r *review.BankRequest) { r.Distance = -1 },
			"too far":          func(r *review.BankRequest) { r.Distance = moderation.MaxBankDistance + 1 },
			"long description": func(r *review.BankRequest) { r.Description = strings.Repeat("x", 501) },
		} {
			r := good
			mod(&r)
			if _, _, err := d.PutBank(ctx, "admin", r); moderation.ErrorCode(err) != moderation.EINVALID {
				t.Errorf("%s: PutBank = %v, want %s", name, err, moderation.EINVALID)
			}
		}
		_, _, err := d.AddBankEntry(ctx, "admin", "b", review.BankEntryRequest{Kind: moderation.HashPDQ, Hash: hash64(1)})
		wantCode(t, err, moderation.ENOTFOUND)
		if _, _, err := d.PutBank(ctx, "admin", good); err != nil {
			t.Fatal(err)
		}
		for _, r := range []review.BankEntryRequest{
			{Kind: "md5", Hash: hash64(1)},
			{Kind: moderation.HashPDQ, Hash: "abc"},
			{Kind: moderation.HashPDQ, Hash: hash64(1)[:63] + "g"},
			{Kind: moderation.HashSHA256, Hash: hash64(1), Note: strings.Repeat("n", 501)},
		} {
			_, _, err := d.AddBankEntry(ctx, "admin", "b", r)
			wantCode(t, err, moderation.EINVALID)
		}
	})
}

// bankedUpload opens a screening case about upload id by u1, whose hashes
// are described in the comments, claims it for m1 and returns its id.
func (h *harness) bankedUpload(id string) string {
	h.t.Helper()
	content := moderation.Content{Text: "excerpt", UserID: "u1", ContentID: id, File: &moderation.FileInfo{
		SHA256: hash64(10), MediaType: "application/zip", Size: 5000,
		Images: []moderation.ImageInfo{
			{Path: "a.jpg", SHA256: strings.ToUpper(hash64(11)), PDQ: hash64(20), PDQQuality: 90},          // both added
			{Path: "b.jpg", SHA256: hash64(12), PDQ: hash64(21), PDQQuality: moderation.MinPDQQuality - 1}, // too flat: its PDQ is not added
			{Path: "c.gif", SHA256: hash64(13)},                                    // not decoded: no PDQ
			{Path: "d/a.jpg", SHA256: hash64(11), PDQ: hash64(20), PDQQuality: 95}, // a.jpg again
			{Path: "e.jpg", SHA256: hash64(10), PDQ: hash64(22), PDQQuality: 100},  // the file's SHA-256 again
			{Path: "f.png", SHA256: "not a hash", PDQ: hash64(23), PDQQuality: 50}, // a broken SHA-256 is left out
		},
	}}
	caseID, err := h.desk.OpenScreeningCase(h.t.Context(), content, verdict(moderation.Sexual, 0.7))
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.desk.ClaimCase(h.t.Context(), "m1", caseID); err != nil {
		h.t.Fatal(err)
	}
	return caseID
}

// putRemovedBank creates bank "removed" holding one entry already: the
// PDQ hash of bankedUpload's image e.jpg.
func (h *harness) putRemovedBank() {
	h.t.Helper()
	h.putBank("removed")
	if _, _, err := h.desk.AddBankEntry(h.t.Context(), "admin", "removed", review.BankEntryRequest{Kind: moderation.HashPDQ, Hash: hash64(22)}); err != nil {
		h.t.Fatal(err)
	}
}

// bankHashes returns the kind:hash of every entry in bank.
func (h *harness) bankHashes(bank string) []string {
	h.t.Helper()
	entries, _, err := h.desk.BankEntries(h.t.Context(), bank, 0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, string(e.Kind)+":"+e.Hash)
	}
	slices.Sort(out)
	return out
}

// auditCount counts the audit entries of action about decision.
func (h *harness) auditCount(action, decision string) int {
	h.t.Helper()
	entries, _, err := h.desk.Audit(h.t.Context(), review.AuditQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == action && e.DecisionID == decision {
			n++
		}
	}
	return n
}

func TestDecisionAddsUploadToBank(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		d := h.desk
		h.putRemovedBank()
		v0, _ := d.BanksVersion(ctx)

		caseID := h.bankedUpload("f1")
		req := remove(moderation.Sexual)
		req.Reason, req.Bank = "nude images", "removed"
		o := h.decide("m1", caseID, req)
		dec := o.Decision
		if !o.BanksChanged || !dec.ContentRemoved || len(dec.BankEntries) != 6 {
			t.Fatalf("outcome: banks changed %v, decision %+v; want 6 entries", o.BanksChanged, dec)
		}
		want := []string{"pdq:" + hash64(20), "pdq:" + hash64(22), "pdq:" + hash64(23),
			"sha256:" + hash64(10), "sha256:" + hash64(11), "sha256:" + hash64(12), "sha256:" + hash64(13)}
		if got := h.bankHashes("removed"); !slices.Equal(got, want) {
			t.Errorf("bank holds\n%v\nwant\n%v", got, want)
		}
		entries, _, _ := d.BankEntries(ctx, "removed", 0, 0)
		for _, e := range entries {
			if e.Hash == hash64(22) {
				if e.DecisionID != "" {
					t.Errorf("the entry that was already there was changed: %+v", e)
				}
				continue
			}
			if !slices.Contains(dec.BankEntries, e.ID) || e.DecisionID != dec.ID || e.AddedBy != "m1" || e.Note != "removed by decision "+dec.ID {
				t.Errorf("entry %+v; decision %s lists %v", e, dec.ID, dec.BankEntries)
			}
		}
		if b, _ := d.Bank(ctx, "removed"); b.Entries != 7 {
			t.Errorf("bank counts %d entries, want 7", b.Entries)
		}
		if v, _ := d.BanksVersion(ctx); v <= v0 {
			t.Errorf("banks version %d after the decision, was %d", v, v0)
		}
		if n := h.auditCount("hashbank.entry_added", dec.ID); n != 6 {
			t.Errorf("%d hashbank.entry_added audit entries for the decision, want 6", n)
		}
		// The decision is stored with its entries, and a retry adds nothing.
		again, err := d.Decide(ctx, "m1", caseID, req)
		if err != nil || !again.Replayed || again.BanksChanged || !slices.Equal(again.Decision.BankEntries, dec.BankEntries) {
			t.Errorf("retried decision: %+v, %v", again, err)
		}

		// Another upload with the same hashes adds none of them twice.
		other := h.bankedUpload("f2")
		o = h.decide("m1", other, req)
		if o.BanksChanged || len(o.Decision.BankEntries) != 0 {
			t.Errorf("the same hashes again: banks changed %v, entries %v", o.BanksChanged, o.Decision.BankEntries)
		}
		if b, _ := d.Bank(ctx, "removed"); b.Entries != 7 {
			t.Errorf("bank counts %d entries after the same hashes again, want 7", b.Entries)
		}
	})
}

func TestReversalDeletesBankEntries(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		d := h.desk
		h.putRemovedBank()
		req := review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Sexual}, SuspendDays: 7, Bank: "removed"}
		dec := h.decide("m1", h.bankedUpload("f1"), req).Decision
		if len(dec.BankEntries) != 6 || dec.SuspensionID == "" {
			t.Fatalf("decision %+v", dec)
		}
		// An admin deletes one entry by hand before the appeal.
		if err := d.DeleteBankEntry(ctx, "admin", "removed", dec.BankEntries[0]); err != nil {
			t.Fatal(err)
		}
		v0, _ := d.BanksVersion(ctx)

		appeal, _, err := d.Appeal(ctx, "u1", dec.ID, "that is my own photo")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.ClaimCase(ctx, "m2", appeal.ID); err != nil {
			t.Fatal(err)
		}
		o := h.decide("m2", appeal.ID, review.DecisionRequest{Action: moderation.ActionReverse})
		if !o.BanksChanged {
			t.Error("the reversal reports no change to the banks")
		}
		if got := h.bankHashes("removed"); !slices.Equal(got, []string{"pdq:" + hash64(22)}) {
			t.Errorf("bank after the reversal holds %v, want only the entry added by hand", got)
		}
		if b, _ := d.Bank(ctx, "removed"); b.Entries != 1 {
			t.Errorf("bank counts %d entries, want 1", b.Entries)
		}
		if v, _ := d.BanksVersion(ctx); v <= v0 {
			t.Errorf("banks version %d after the reversal, was %d", v, v0)
		}
		if n := h.auditCount("hashbank.entry_deleted", o.Decision.ID); n != 5 {
			t.Errorf("%d hashbank.entry_deleted audit entries for the reversal, want 5", n)
		}
		if s, _ := d.Suspended(ctx, "u1"); s != nil {
			t.Errorf("still suspended after the reversal: %+v", s)
		}
		// A deleted hash can be added again.
		if _, created, err := d.AddBankEntry(ctx, "admin", "removed", review.BankEntryRequest{Kind: moderation.HashSHA256, Hash: hash64(10)}); err != nil || !created {
			t.Errorf("adding a hash the reversal deleted: created %v, %v", created, err)
		}

		// Reversing a removal that added nothing changes no bank.
		r := h.report("r1", "n1", "u1", moderation.Hate)
		plain := h.claimDecide("m1", r.CaseID, remove(moderation.Hate)).Decision
		appeal, _, err = d.Appeal(ctx, "u1", plain.ID, "satire")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.ClaimCase(ctx, "m2", appeal.ID); err != nil {
			t.Fatal(err)
		}
		if o := h.decide("m2", appeal.ID, review.DecisionRequest{Action: moderation.ActionReverse}); o.BanksChanged {
			t.Error("reversing a removal without bank entries reports a change to the banks")
		}
	})
}

func TestAddToBankRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		d := h.desk
		h.putBank("removed")
		upload := h.bankedUpload("f1")
		r := h.report("r1", "n1", "u1", moderation.Sexual)
		if _, err := d.ClaimCase(ctx, "m1", r.CaseID); err != nil {
			t.Fatal(err)
		}
		wantMessage := func(err error, code, msg string) {
			t.Helper()
			wantCode(t, err, code)
			if !strings.Contains(moderation.ErrorMessage(err), msg) {
				t.Errorf("message %q does not contain %q", moderation.ErrorMessage(err), msg)
			}
		}
		for _, tc := range []struct {
			name, caseID string
			req          review.DecisionRequest
			msg          string
		}{
			{"a note", r.CaseID, review.DecisionRequest{Action: moderation.ActionRemove, Categories: []moderation.Category{moderation.Sexual}, Bank: "removed"}, "add_to_bank applies to removing an upload"},
			{"keep", upload, review.DecisionRequest{Action: moderation.ActionKeep, Bank: "removed"}, "add_to_bank applies to removing an upload"},
			{"dismiss", upload, review.DecisionRequest{Action: moderation.ActionDismiss, Bank: "removed"}, "add_to_bank applies to removing an upload"},
			{"no such bank", upload, review.DecisionRequest{Action: moderation.ActionRemove, Categories: []moderation.Category{moderation.Sexual}, Bank: "nope"}, "bank nope does not exist; create it first with PUT /v1/hashbanks/nope"},
		} {
			tc.req.Reason = "r"
			_, err := d.Decide(ctx, "m1", tc.caseID, tc.req)
			wantMessage(err, moderation.EINVALID, tc.msg)
		}
		// Nothing was decided.
		if c := h.caseOf(upload); c.Status != moderation.CaseClaimed || c.DecisionID != "" {
			t.Errorf("upload case after refused decisions: %s, decision %q", c.Status, c.DecisionID)
		}
		// In bulk, each case on its own.
		req := review.DecisionRequest{Action: moderation.ActionRemove, Categories: []moderation.Category{moderation.Sexual}, Reason: "r", Bank: "removed"}
		res := d.DecideBulk(ctx, "m1", []string{r.CaseID, upload}, req)
		wantMessage(res[0].Err, moderation.EINVALID, "add_to_bank")
		if res[1].Err != nil || !res[1].Outcome.BanksChanged || len(res[1].Outcome.Decision.BankEntries) != 7 {
			t.Errorf("bulk decision on the upload: %+v, %v", res[1].Outcome, res[1].Err)
		}
	})
}
