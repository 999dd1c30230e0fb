package httpapi_test

import (
	"fmt"
	"net/http"
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
