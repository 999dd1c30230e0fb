package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/moderation"
)

func TestHashBanks(t *testing.T) {
	var changes atomic.Int32
	ds := startDesk(t, nil, func(c *httpapi.Config) { c.BanksChanged = func() { changes.Add(1) } })
	admin := adminKey.Secret
	hash := strings.Repeat("ab", 32)

	var b moderation.Bank
	wantJSON(t, ds.call(t, http.MethodPut, "/v1/hashbanks/known-csam", admin, `{"category":"child_safety","action":"block"}`, nil), http.StatusCreated, &b)
	if b.Name != "known-csam" || b.Distance != moderation.DefaultBankDistance || b.CreatedBy != adminKey.Name {
		t.Fatalf("created bank = %+v", b)
	}
	wantJSON(t, ds.call(t, http.MethodPut, "/v1/hashbanks/known-csam", admin, `{"category":"child_safety","action":"block","distance":20,"description":"shared by a programme"}`, nil), http.StatusOK, &b)
	if b.Distance != 20 {
		t.Fatalf("changed bank = %+v", b)
	}

	var e moderation.BankEntry
	wantJSON(t, ds.post(t, "/v1/hashbanks/known-csam/entries", admin, fmt.Sprintf(`{"kind":"pdq","hash":%q,"note":"from case 9"}`, hash)), http.StatusCreated, &e)
	if e.Hash != hash || e.Kind != moderation.HashPDQ || e.AddedBy != adminKey.Name {
		t.Fatalf("entry = %+v", e)
	}
	var again moderation.BankEntry
	wantJSON(t, ds.post(t, "/v1/hashbanks/known-csam/entries", admin, fmt.Sprintf(`{"kind":"pdq","hash":%q}`, strings.ToUpper(hash))), http.StatusOK, &again)
	if again.ID != e.ID {
		t.Fatalf("the same hash made entry %s, want %s", again.ID, e.ID)
	}
	var list struct {
		Entries []moderation.BankEntry `json:"entries"`
		Next    int                    `json:"next_offset"`
	}
	wantJSON(t, ds.get(t, "/v1/hashbanks/known-csam/entries?limit=10", admin), http.StatusOK, &list)
	if len(list.Entries) != 1 || list.Entries[0].ID != e.ID || list.Next != 0 {
		t.Fatalf("entries = %+v", list)
	}
	var banks struct {
		Banks []moderation.Bank `json:"banks"`
	}
	wantJSON(t, ds.get(t, "/v1/hashbanks", admin), http.StatusOK, &banks)
	if len(banks.Banks) != 1 || banks.Banks[0].Entries != 1 {
		t.Fatalf("banks = %+v", banks)
	}

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name, method, path, key, body string
			status                        int
			code, msg                     string
		}{
			{"moderators may not", http.MethodGet, "/v1/hashbanks", moderatorKey.Secret, "", 403, "forbidden", ""},
			{"backends may not", http.MethodPost, "/v1/hashbanks/known-csam/entries", backendKey.Secret, `{"kind":"pdq","hash":"` + hash + `"}`, 403, "forbidden", ""},
			{"no key", http.MethodGet, "/v1/hashbanks", "", "", 401, "unauthorized", ""},
			{"bad name", http.MethodPut, "/v1/hashbanks/Bad%20Name", admin, `{"category":"sexual","action":"review"}`, 400, "invalid", "lower-case"},
			{"no action", http.MethodPut, "/v1/hashbanks/b2", admin, `{"category":"sexual"}`, 400, "invalid", "action"},
			{"allow is no action", http.MethodPut, "/v1/hashbanks/b2", admin, `{"category":"sexual","action":"allow"}`, 400, "invalid", "review or block"},
			{"distance too far", http.MethodPut, "/v1/hashbanks/b2", admin, `{"category":"sexual","action":"review","distance":65}`, 400, "invalid", "distance"},
			{"unknown field", http.MethodPut, "/v1/hashbanks/b2", admin, `{"category":"sexual","action":"review","treshold":3}`, 400, "invalid", "treshold"},
			{"unknown bank", http.MethodPost, "/v1/hashbanks/nope/entries", admin, `{"kind":"pdq","hash":"` + hash + `"}`, 404, "not_found", "PUT /v1/hashbanks/nope"},
			{"short hash", http.MethodPost, "/v1/hashbanks/known-csam/entries", admin, `{"kind":"pdq","hash":"abc"}`, 400, "invalid", "64 hex digits"},
			{"unknown kind", http.MethodPost, "/v1/hashbanks/known-csam/entries", admin, `{"kind":"md5","hash":"` + hash + `"}`, 400, "invalid", "pdq or sha256"},
			{"bad limit", http.MethodGet, "/v1/hashbanks/known-csam/entries?limit=0", admin, "", 400, "invalid", "limit"},
			{"delete a bank with entries", http.MethodDelete, "/v1/hashbanks/known-csam", admin, "", 409, "conflict", "delete them first"},
			{"delete an unknown entry", http.MethodDelete, "/v1/hashbanks/known-csam/entries/bke_nope", admin, "", 404, "not_found", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, ds.call(t, tc.method, tc.path, tc.key, tc.body, nil), tc.status, tc.code, tc.msg)
			})
		}
	})

	if res := ds.call(t, http.MethodDelete, "/v1/hashbanks/known-csam/entries/"+e.ID, admin, "", nil); res.status != http.StatusNoContent {
		t.Fatalf("delete entry: %d %s", res.status, res.body)
	}
	if res := ds.call(t, http.MethodDelete, "/v1/hashbanks/known-csam", admin, "", nil); res.status != http.StatusNoContent {
		t.Fatalf("delete bank: %d %s", res.status, res.body)
	}
	wantError(t, ds.get(t, "/v1/hashbanks/known-csam", admin), http.StatusNotFound, "not_found")
	// Created, changed, entry added, entry deleted, bank deleted; the
	// repeated entry changed nothing.
	if n := changes.Load(); n != 5 {
		t.Errorf("BanksChanged called %d times, want 5", n)
	}
}

func TestDecisionAddsToBank(t *testing.T) {
	var changes atomic.Int32
	ds := startDesk(t, nil, func(c *httpapi.Config) { c.BanksChanged = func() { changes.Add(1) } })
	wantJSON(t, ds.call(t, http.MethodPut, "/v1/hashbanks/removed", adminKey.Secret, `{"category":"sexual","action":"block"}`, nil), http.StatusCreated, &moderation.Bank{})
	changes.Store(0)
	sha, pdq := strings.Repeat("1", 64), strings.Repeat("2", 64)
	uploadCase := func(id string) string {
		t.Helper()
		file := &moderation.FileInfo{SHA256: sha, MediaType: "image/jpeg", Size: 100,
			Images: []moderation.ImageInfo{{Path: id + ".jpg", MediaType: "image/jpeg", SHA256: sha, PDQ: pdq, PDQQuality: 90}}}
		caseID, err := ds.desk.OpenScreeningCase(t.Context(), moderation.Content{Text: "excerpt", UserID: "author-1", ContentID: id, File: file},
			moderation.Verdict{Action: moderation.Review, Categories: []moderation.CategoryScore{{Category: moderation.Sexual, Score: 0.7}}, PolicyVersion: "p1"})
		if err != nil {
			t.Fatal(err)
		}
		return caseID
	}
	upload := uploadCase("f1")
	note := ds.report(t, "r1", "n1", "author-1", "sexual").CaseID
	ds.claim(t, aliceKey, upload)
	ds.claim(t, aliceKey, note)
	const remove = `{"action":"remove","categories":["sexual"],"reason":"nude image","add_to_bank":"removed"}`

	bad := []struct{ name, id, body, msg string }{
		{"a note", note, remove, "add_to_bank applies to removing an upload"},
		{"keep", upload, `{"action":"keep","reason":"fine","add_to_bank":"removed"}`, "add_to_bank applies to removing an upload"},
		{"no such bank", upload, `{"action":"remove","categories":["sexual"],"reason":"x","add_to_bank":"nope"}`, "create it first with PUT /v1/hashbanks/nope"},
		{"not a string", upload, `{"action":"remove","categories":["sexual"],"reason":"x","add_to_bank":["removed"]}`, "add_to_bank: expected string, got array"},
		{"a control character", upload, `{"action":"remove","categories":["sexual"],"reason":"x","add_to_bank":"re\u0007moved"}`, "add_to_bank must be printable"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ds.post(t, "/v1/review/items/"+tc.id+"/decision", aliceKey.Secret, tc.body), http.StatusBadRequest, "invalid", tc.msg)
		})
	}

	out := ds.decide(t, aliceKey, upload, remove)
	if out.Decision == nil || len(out.Decision.BankEntries) != 2 {
		t.Fatalf("decision = %+v, want 2 bank entries", out.Decision)
	}
	var list struct {
		Entries []moderation.BankEntry `json:"entries"`
	}
	wantJSON(t, ds.get(t, "/v1/hashbanks/removed/entries", adminKey.Secret), http.StatusOK, &list)
	if len(list.Entries) != 2 || list.Entries[0].DecisionID != out.Decision.ID || list.Entries[0].AddedBy != aliceKey.Name {
		t.Errorf("bank entries = %+v", list.Entries)
	}
	if n := changes.Load(); n != 1 {
		t.Errorf("BanksChanged called %d times after the decision, want 1", n)
	}
	// A retry changes nothing.
	var again outcomeWire
	wantJSON(t, ds.post(t, "/v1/review/items/"+upload+"/decision", aliceKey.Secret, remove), http.StatusOK, &again)
	if !again.Replayed || !slices.Equal(again.Decision.BankEntries, out.Decision.BankEntries) || changes.Load() != 1 {
		t.Errorf("retry = %+v; BanksChanged called %d times", again, changes.Load())
	}

	t.Run("bulk", func(t *testing.T) {
		other := uploadCase("f2")
		var bulk bulkWire
		body := fmt.Sprintf(`{"ids":[%q,%q],"action":"remove","categories":["sexual"],"reason":"nude images","add_to_bank":"removed"}`, note, other)
		wantJSON(t, ds.post(t, "/v1/review/decisions", aliceKey.Secret, body), http.StatusOK, &bulk)
		if e := bulk.Results[0].Error; e == nil || e.Code != "invalid" || !strings.Contains(e.Message, "add_to_bank") {
			t.Errorf("bulk result for the note = %+v", bulk.Results[0])
		}
		// The upload's hashes are in the bank already: nothing is added.
		if o := bulk.Results[1].Outcome; o == nil || o.Decision == nil || !o.Decision.ContentRemoved || len(o.Decision.BankEntries) != 0 {
			t.Errorf("bulk result for the upload = %+v", bulk.Results[1])
		}
		if n := changes.Load(); n != 1 {
			t.Errorf("BanksChanged called %d times after a bulk decision that added nothing, want 1", n)
		}
		third := uploadCase("f3")
		wantJSON(t, ds.post(t, "/v1/review/decisions", aliceKey.Secret, fmt.Sprintf(`{"ids":[%q],"action":"suspend","categories":["sexual"],"reason":"again","suspend_days":0,"add_to_bank":"removed"}`, third)), http.StatusOK, &bulk)
		if o := bulk.Results[0].Outcome; o == nil || len(o.Decision.BankEntries) != 0 || o.Decision.SuspensionID == "" {
			t.Errorf("bulk suspension = %+v", bulk.Results[0])
		}
	})

	t.Run("reversed on appeal", func(t *testing.T) {
		var rc receiptBody
		wantJSON(t, ds.post(t, "/v1/appeals", backendKey.Secret, fmt.Sprintf(`{"user_id":"author-1","decision_id":%q,"statement":"my own photo"}`, out.Decision.ID)), http.StatusAccepted, &rc)
		ds.claim(t, bobKey, rc.CaseID)
		before := changes.Load()
		ds.decide(t, bobKey, rc.CaseID, `{"action":"reverse","reason":"consenting adult, own photo"}`)
		if n := changes.Load(); n != before+1 {
			t.Errorf("BanksChanged called %d times after the reversal, want %d", n, before+1)
		}
		wantJSON(t, ds.get(t, "/v1/hashbanks/removed/entries", adminKey.Secret), http.StatusOK, &list)
		if len(list.Entries) != 0 {
			t.Errorf("bank entries after the reversal = %+v", list.Entries)
		}
		audit := ds.audit(t, "actor=bob")
		deleted := 0
		for _, e := range audit.Entries {
			if e.Action == "hashbank.entry_deleted" && slices.Contains(out.Decision.BankEntries, e.TargetID) {
				deleted++
			}
		}
		if deleted != 2 {
			t.Errorf("%d hashbank.entry_deleted audit entries by bob, want 2", deleted)
		}
	})
}
