package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestPrivacyEndpoints(t *testing.T) {
	ds := startDesk(t, nil, nil)
	rc := ds.report(t, "r1", "n1", "author-1", "harassment")
	mine := ds.report(t, "author-1", "n9", "author-9", "spam")

	for _, k := range []string{backendKey.Secret, moderatorKey.Secret, aliceKey.Secret} {
		for _, req := range [][2]string{
			{http.MethodGet, "/v1/privacy/users/author-1/export"},
			{http.MethodDelete, "/v1/privacy/users/author-1"},
			{http.MethodPost, "/v1/privacy/users/author-1/restriction"},
		} {
			wantError(t, ds.call(t, req[0], req[1], k, `{"restricted":true,"reason":"x"}`, nil), http.StatusForbidden, "forbidden")
		}
	}

	// Restriction: the flag is required, and a reason to set it.
	wantError(t, ds.post(t, "/v1/privacy/users/author-1/restriction", adminKey.Secret, `{"reason":"asked"}`), http.StatusBadRequest, "invalid", "restricted is required")
	wantError(t, ds.post(t, "/v1/privacy/users/author-1/restriction", adminKey.Secret, `{"restricted":true}`), http.StatusBadRequest, "invalid", "reason")
	var st struct {
		Restriction *struct{ Reason, By string } `json:"restriction"`
	}
	wantJSON(t, ds.post(t, "/v1/privacy/users/author-1/restriction", adminKey.Secret, `{"restricted":true,"reason":"contests accuracy"}`), http.StatusOK, &st)
	if st.Restriction == nil || st.Restriction.Reason != "contests accuracy" || st.Restriction.By != "ops" {
		t.Errorf("restriction = %+v", st.Restriction)
	}

	// Access: the case about their note and the report they filed, with
	// the reporter of the other and the moderators left out.
	var x struct {
		UserID, Pseudonym string
		Cases             []struct{ ID string }
		Reports           []struct {
			ID         string `json:"id"`
			ReporterID string `json:"reporter_id"`
		}
		Account struct {
			Restriction *struct{ Reason string }
		}
	}
	res := ds.get(t, "/v1/privacy/users/author-1/export", adminKey.Secret)
	wantJSON(t, res, http.StatusOK, &x)
	if len(x.Cases) != 1 || x.Cases[0].ID != rc.CaseID || len(x.Reports) != 1 || x.Reports[0].ID != mine.ID || x.Account.Restriction == nil {
		t.Errorf("export = %s", res.body)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || strings.Contains(cd, "author-1") {
		t.Errorf("Content-Disposition = %q, want an attachment named by pseudonym", cd)
	}
	if strings.Contains(string(res.body), `"r1"`) {
		t.Errorf("the export names another reporter: %s", res.body)
	}

	// Erasure waits for the open case, then goes through.
	wantError(t, ds.call(t, http.MethodDelete, "/v1/privacy/users/author-1", adminKey.Secret, "", nil), http.StatusConflict, "conflict", rc.CaseID, "decide them first")
	ds.claim(t, aliceKey, rc.CaseID)
	ds.decide(t, aliceKey, rc.CaseID, `{"action":"remove","categories":["harassment"],"reason":"insults"}`)
	var er struct {
		Pseudonym string
		Deleted   map[string]int
		Kept      map[string]int `json:"pseudonymised"`
	}
	wantJSON(t, ds.call(t, http.MethodDelete, "/v1/privacy/users/author-1", adminKey.Secret, "", nil), http.StatusOK, &er)
	if er.Pseudonym != x.Pseudonym || er.Kept["case"] != 1 || er.Kept["decision"] != 1 || er.Kept["report"] != 1 {
		t.Errorf("erasure = %+v", er)
	}
	res = ds.get(t, "/v1/privacy/users/author-1/export", adminKey.Secret)
	var after map[string]json.RawMessage
	wantJSON(t, res, http.StatusOK, &after)
	if string(after["cases"]) != "[]" || string(after["reports"]) != "[]" || string(after["decisions"]) != "[]" {
		t.Errorf("export after erasure = %s", res.body)
	}
	a := ds.audit(t, "target_id=author-1")
	var actions []string
	for _, e := range a.Entries {
		actions = append(actions, e.Actor+" "+e.Action)
		if e.TargetID != x.Pseudonym || e.Reason != "" {
			t.Errorf("audit entry about the user: %+v, want the pseudonym %s and no reason", e, x.Pseudonym)
		}
	}
	if want := []string{"ops privacy.restricted", "ops privacy.exported", "ops privacy.erased", "ops privacy.exported"}; !slices.Equal(actions, want) {
		t.Errorf("audit about the user = %v, want %v", actions, want)
	}
}
