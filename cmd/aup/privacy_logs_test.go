package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/fixture"
	"github.com/aup-dev/aup/internal/openai/openaitest"
	"github.com/aup-dev/aup/internal/redistest"
)

// The canaries: what users write, upload and leave as contact details in
// TestLogsHoldNoUserText. Each carries a made-up word found nowhere else,
// so that a canary in the log can only have come from a request.
const (
	canaryEmail   = "Quill.Feather@Canary-Mail.example"
	canaryPhone   = "+44 7700 900461"
	canaryReview  = "Your comment on the garden project was wrong, and frankly you are a worthless idiot for posting it. Quillfeather says write to " + canaryEmail + " or call " + canaryPhone + "."
	canaryBlock   = "I will kill you tomorrow, Brackenwhistle, you are dead. Call 0161 496 0732."
	canaryBatch1  = "Marrowlight asks: lunch at noon on Thursday?"
	canaryBatch2  = "You are a worthless idiot, Gloamingbrook, and everyone knows it."
	canaryFile    = "Thistledown-letters.zip"
	canaryMember  = "Thistledown/saffron.reed@canary-mail.example.txt"
	canaryUpload  = "Dear Saffronreed, you are a worthless idiot. Write back to saffron.reed@canary-mail.example."
	canaryContact = "Ottilie.Wrenfield@Canary-Mail.example"
	canaryExplain = "Wrenfield <keeps> posting & insulting me under every note."
	canaryText    = "Copied from the note: Lindenharrow is a worthless idiot."
	canaryField   = "Cobblewick_field"
	canarySyntax  = "Fennimore wrote this"
	canaryUTF8    = "Larkspurvale"
	canaryBig     = "Hollowmere "
	canaryType    = "Pennywhistle"
	canaryReason  = "Tamberlyn: insults aimed at the reader, quoting them."
	canaryAppeal  = "Ravensbourne here: I was quoting a film line."
	canaryReverse = "Amberquill: on appeal, a quotation, not an attack."
	canarySuspend = "Kestrelmoor: repeated abuse of other members."
	canaryLift    = "Heatherglen"
	canaryPath    = "Nightjarrow"
	canaryStored  = "Duskenfold"
	canaryModel   = "Moonwhistle"
)

// TestLogsHoldNoUserText drives the service, on a real Redis with a local
// OpenAI API and a webhook receiver, through what users and moderators do
// (checks that allow, review and block, a batch, an upload, a report with a
// contact address, malformed and oversized bodies, a decision, an appeal, a
// suspension), through a classifier whose errors echo the text it was sent
// and a stored record that cannot be decoded, and then checks that no text,
// e-mail address or phone number of theirs is in the service's log, at
// debug level, in any form: as sent, lower-cased, JSON- or Go-quoted.
// Issue 8: logs never hold note text or e-mail addresses.
func TestLogsHoldNoUserText(t *testing.T) {
	srv := redistest.Start(t)
	api := openaitest.New(t, openaitest.Options{})
	keyFile := filepath.Join(t.TempDir(), "openai-key")
	if err := os.WriteFile(keyFile, []byte("sk-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A receiver that answers the first delivery with an error that echoes
	// the payload, as some do, and accepts the others.
	var hooks atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if hooks.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write(body)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	base, logs := service(t, reviewEnv(srv,
		"AUP_LOG_LEVEL", "debug",
		"AUP_MAX_TEXT_BYTES", "4096",
		"AUP_MAX_UPLOAD_BYTES", "1048576",
		"AUP_CLASSIFIER", "openai-moderation",
		"AUP_OPENAI_BASE_URL", api.URL,
		"AUP_OPENAI_API_KEY_FILE", keyFile,
		"AUP_CLASSIFIER_RETRIES", "0",
		"AUP_CLASSIFIER_BREAKER", "1000",
		"AUP_WEBHOOK_URL", hook.URL+"/hook",
		"AUP_WEBHOOK_SECRET", hookSecret,
	))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", tail(logs.String(), 8000))
		}
	})
	check := func(text, userID, contentID string) verdictWithCase {
		t.Helper()
		var v verdictWithCase
		body, _ := json.Marshal(map[string]string{"text": text, "user_id": userID, "content_id": contentID})
		must(t, http.StatusOK, http.MethodPost, base+"/v1/check", backendKey, string(body), &v)
		return v
	}

	// Checks: one the rules put to review (a case opens), one they block.
	// The classifier refuses the first with an error that quotes it, and
	// fails on the second with a body that does.
	api.Enqueue(openaitest.Fault{Status: http.StatusBadRequest,
		Body: fmt.Sprintf(`{"error":{"message":%q,"type":"invalid_request_error","param":"input","code":null}}`, canaryModel+" refused the input: "+canaryReview)})
	reviewed := check(canaryReview, "author-7", "note-7")
	if reviewed.Action != "review" || reviewed.CaseID == "" {
		t.Fatalf("check: %+v, want review with a case", reviewed)
	}
	api.Enqueue(openaitest.Fault{Status: http.StatusInternalServerError, Body: canaryModel + " could not process: " + canaryBlock})
	if v := check(canaryBlock, "author-8", "note-8"); v.Action != "block" {
		t.Fatalf("check: %+v, want block", v)
	}
	// A 200 the client cannot read, made of the input.
	api.Enqueue(openaitest.Fault{Body: `{"results":` + strconv.Quote(canaryModel+" "+canaryBatch1) + `}`})
	var batch struct {
		Results []verdictWithCase `json:"results"`
	}
	batchBody, _ := json.Marshal(map[string]any{"items": []map[string]string{
		{"text": canaryBatch1, "user_id": "author-9", "content_id": "note-9"},
		{"text": canaryBatch2, "user_id": "author-10", "content_id": "note-10"},
	}})
	must(t, http.StatusOK, http.MethodPost, base+"/v1/check/batch", backendKey, string(batchBody), &batch)
	if len(batch.Results) != 2 || batch.Results[1].Action == "allow" {
		t.Fatalf("batch: %+v, want two verdicts, the second not allow", batch)
	}

	// An upload: a file name, a member name and text that are the user's.
	zip := fixture.Zip(t, fixture.File{Name: canaryMember, Data: []byte(canaryUpload)})
	if status, v := postUpload(t, base, backendKey, canaryFile, zip, map[string]string{"user_id": "author-11", "content_id": "up-11"}); status != http.StatusOK || v.Action != "review" {
		t.Fatalf("upload: %d %+v, want review", status, v)
	}

	// A report on the reviewed note with text, an explanation and a
	// contact address; it joins the screening case.
	var receipt receiptBody
	reportBody, _ := json.Marshal(map[string]string{
		"reporter_id": "reader-7", "target_type": "note", "target_id": "note-7", "target_user_id": "author-7",
		"category": "harassment", "text": canaryText, "explanation": canaryExplain, "contact_email": canaryContact,
	})
	must(t, http.StatusAccepted, http.MethodPost, base+"/v1/reports", backendKey, string(reportBody), &receipt)
	if receipt.CaseID != reviewed.CaseID {
		t.Fatalf("report: %+v, want it in case %s", receipt, reviewed.CaseID)
	}

	// Requests refused: the errors name the field, the offset or the
	// limit, and their text must not be logged either.
	refused := []struct {
		name, path, contentType, body string
		status                        int
	}{
		{"unknown field", "/v1/check", "application/json", `{"text":"hi","` + canaryField + `":"` + canaryReview + `"}`, http.StatusBadRequest},
		{"unknown field in a report", "/v1/reports", "application/json", `{"reporter_id":"r","` + canaryField + `":1}`, http.StatusBadRequest},
		{"syntax error", "/v1/check", "application/json", `{"text":"` + canarySyntax + `" ` + canaryEmail + `}`, http.StatusBadRequest},
		{"unterminated", "/v1/reports", "application/json", `{"reporter_id":"r","explanation":"` + canarySyntax, http.StatusBadRequest},
		{"invalid UTF-8", "/v1/check", "application/json", `{"text":"` + canaryUTF8 + "\xff\xfe" + canaryPhone + `"}`, http.StatusBadRequest},
		{"wrong type", "/v1/reports", "application/json", `{"reporter_id":["` + canaryType + `"]}`, http.StatusBadRequest},
		{"wrong type in an appeal", "/v1/appeals", "application/json", `{"user_id":"u","decision_id":"d","statement":{"` + canaryType + `":1}}`, http.StatusBadRequest},
		{"bad contact address", "/v1/reports", "application/json", `{"reporter_id":"r","target_type":"note","target_id":"n","target_user_id":"u","category":"spam","contact_email":"` + canaryType + ` <` + canaryEmail + `>"}`, http.StatusBadRequest},
		{"trailing data", "/v1/check", "application/json", `{"text":"hi"} ` + canaryEmail, http.StatusBadRequest},
		{"not JSON", "/v1/check", "text/plain", canaryReview, http.StatusUnsupportedMediaType},
		{"oversized body", "/v1/check", "application/json", `{"text":"` + strings.Repeat(canaryBig, 3000) + `"}`, http.StatusRequestEntityTooLarge},
		{"oversized text", "/v1/check", "application/json", `{"text":"` + strings.Repeat(canaryBig, 400) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range refused {
		req, _ := http.NewRequest(http.MethodPost, base+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.contentType)
		req.Header.Set("Authorization", "Bearer "+backendKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	if code, _ := call(http.MethodGet, base+"/v1/"+canaryPath+"/"+canaryEmail+"?q="+canaryPath, backendKey, "", nil); code != http.StatusNotFound {
		t.Errorf("unknown route: status %d, want 404", code)
	}

	// A moderator removes the note with a reason; its author appeals with
	// a statement; another moderator reverses the removal with a reason.
	must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+reviewed.CaseID+"/claim", modAKey, "", nil)
	var removed outcomeBody
	decision, _ := json.Marshal(map[string]any{"action": "remove", "categories": []string{"harassment"}, "reason": canaryReason})
	must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+reviewed.CaseID+"/decision", modAKey, string(decision), &removed)
	if removed.Decision == nil {
		t.Fatalf("decision: %+v", removed)
	}
	var appeal receiptBody
	appealBody, _ := json.Marshal(map[string]string{"user_id": "author-7", "decision_id": removed.Decision.ID, "statement": canaryAppeal})
	must(t, http.StatusAccepted, http.MethodPost, base+"/v1/appeals", backendKey, string(appealBody), &appeal)
	must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+appeal.CaseID+"/claim", modBKey, "", nil)
	reversal, _ := json.Marshal(map[string]any{"action": "reverse", "reason": canaryReverse})
	must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+appeal.CaseID+"/decision", modBKey, string(reversal), nil)

	// A suspension with a reason, lifted with one in the query string.
	suspension, _ := json.Marshal(map[string]any{"reason": canarySuspend, "days": 3})
	must(t, http.StatusCreated, http.MethodPost, base+"/v1/users/author-8/suspensions", modAKey, string(suspension), nil)
	must(t, http.StatusOK, http.MethodDelete, base+"/v1/users/author-8/suspensions/current?reason="+canaryLift, modAKey, "", nil)

	// A stored case this version cannot read (written by another version,
	// or damaged): its value is echoed by the decoder's error, which fails
	// the request with 500 and is logged.
	damaged := `{"id":"case-damaged","created_at":"` + canaryStored + " " + canaryEmail + `"}`
	if err := srv.Client(t).Set(context.Background(), "aup:doc:case:case-damaged", damaged, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if code, _ := call(http.MethodGet, base+"/v1/review/items/case-damaged", modAKey, "", nil); code != http.StatusInternalServerError {
		t.Fatalf("damaged case: status %d, want 500", code)
	}

	// The webhook deliveries: one refused, the rest delivered.
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(logs.String(), `"msg":"webhook: delivered"`) ||
		!strings.Contains(logs.String(), `"msg":"webhook: delivery failed"`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no webhook delivery succeeded and failed within 15s")
		}
	}

	// The log is the one written while all that ran: every line JSON, with
	// a line for each request and for each failure above.
	text := logs.String()
	type line map[string]any
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		var m line
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	count := func(want line) int {
		n := 0
	next:
		for _, l := range lines {
			for k, v := range want {
				if fmt.Sprint(l[k]) != fmt.Sprint(v) {
					continue next
				}
			}
			n++
		}
		return n
	}
	for _, want := range []struct {
		line line
		min  int
	}{
		{line{"msg": "request", "route": "/v1/check", "status": 200}, 2},
		{line{"msg": "request", "route": "/v1/check", "status": 400}, 4},
		{line{"msg": "request", "route": "/v1/check", "status": 413}, 2},
		{line{"msg": "request", "route": "/v1/check", "status": 415}, 1},
		{line{"msg": "request", "route": "/v1/check/batch", "status": 200}, 1},
		{line{"msg": "request", "route": "/v1/check/upload", "status": 200}, 1},
		{line{"msg": "request", "route": "/v1/reports", "status": 202}, 1},
		{line{"msg": "request", "route": "/v1/reports", "status": 400}, 4},
		{line{"msg": "request", "route": "/v1/appeals", "status": 202}, 1},
		{line{"msg": "request", "route": "/v1/review/items/:id/decision", "status": 200}, 2},
		{line{"msg": "request", "route": "/v1/users/:id/suspensions", "status": 201}, 1},
		{line{"msg": "request", "route": "/v1/users/:id/suspensions/current", "status": 200}, 1},
		{line{"msg": "request", "status": 404}, 1},
		{line{"msg": "request", "route": "/v1/review/items/:id", "status": 500}, 1},
		{line{"msg": "request failed", "code": "internal"}, 1},
		{line{"msg": "classifier request failed", "outcome": "refused"}, 1},
		{line{"msg": "classifier request failed", "outcome": "server_error"}, 1},
		{line{"msg": "classifier request failed", "outcome": "malformed"}, 1},
		{line{"msg": "classifier unavailable; the verdict is the rules' alone"}, 3},
	} {
		if n := count(want.line); n < want.min {
			t.Errorf("%d log lines with %v, want at least %d", n, want.line, want.min)
		}
	}

	// And none of it holds what the users wrote, in any form.
	lower := strings.ToLower(text)
	for _, c := range []string{
		canaryEmail, canaryPhone, canaryReview, canaryBlock, canaryBatch1, canaryBatch2, canaryFile, canaryMember,
		canaryUpload, canaryContact, canaryExplain, canaryText, canaryField, canarySyntax, canaryUTF8, canaryBig,
		canaryType, canaryReason, canaryAppeal, canaryReverse, canarySuspend, canaryLift, canaryPath, canaryStored,
		canaryModel,
		// The made-up words and addresses alone, and the phone numbers'
		// digits, for a log that holds only part of a text.
		"Quillfeather", "Brackenwhistle", "0161 496 0732", "7700900461", "Marrowlight", "Gloamingbrook", "Thistledown",
		"Saffronreed", "saffron.reed@canary-mail.example", "Wrenfield", "Lindenharrow", "canary-mail",
	} {
		inJSON, _ := json.Marshal(c)
		inGo := strconv.Quote(c)
		forms := []string{c, string(inJSON[1 : len(inJSON)-1]), inGo[1 : len(inGo)-1]}
		for i, form := range forms {
			if slices.Contains(forms[:i], form) {
				continue
			}
			if strings.Contains(lower, strings.ToLower(form)) {
				t.Errorf("the log holds %q", form)
			}
		}
	}
}

// verdictWithCase is the part of a check's verdict the privacy test reads.
type verdictWithCase struct {
	Action string `json:"action"`
	CaseID string `json:"case_id"`
}
