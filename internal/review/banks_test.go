package review_test

import (
	"fmt"
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
