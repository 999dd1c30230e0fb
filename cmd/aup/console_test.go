package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/net/html"

	"github.com/aup-dev/aup/internal/redistest"
)

// The console story's content: a note the bundled rules put to review
// (harassment aimed at "you"), and one they blur as distressing (violence).
const (
	consoleNote        = "Your comment on the garden project was wrong, and frankly you are a worthless idiot for posting it."
	consoleThreat      = "Keep writing those reviews about my shop and you'll see, I know where you live."
	consoleExplain     = "He has been insulting me under every post for a week."
	consoleRemoval     = "Insults aimed at the reader; second warning this week."
	consoleReversal    = "On appeal: the note quotes a film line, not an attack."
	consoleStatement   = "I was quoting a line from a film we had all watched."
	consoleTimeout     = 60 * time.Second // the whole story, once the service is up
	consoleStep        = 15 * time.Second // one step: a navigation, a wait, a read
	screenshotsEnv     = "AUP_SCREENSHOTS"
	consoleWideWidth   = 1280
	consoleNarrowWidth = 390
)

// TestConsole walks the moderator console through a real headless Chromium
// against the real service on a private Redis: alice signs in, claims a
// screening case with a report, removes it with the keyboard; the author
// appeals; alice may not decide the appeal; bob reverses it. Plain HTTP
// requests check the console's sign-in, session cookie and CSRF refusals.
// With AUP_SCREENSHOTS=<dir> it saves a screenshot of each page there.
func TestConsole(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	srv := redistest.Start(t)
	s := startService(t, reviewEnv(srv))
	b.begin(t, s.base)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", tail(s.logs.String(), 4000))
		}
	})

	// The product screens a note the rules put to review: a case opens.
	var checked struct {
		Action string `json:"action"`
		CaseID string `json:"case_id"`
	}
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey,
		fmt.Sprintf(`{"text":%q,"user_id":"author-1","content_id":"note-1"}`, consoleNote), &checked)
	if checked.Action != "review" || checked.CaseID == "" {
		t.Fatalf("check: %+v, want a review verdict with a case", checked)
	}
	caseID := checked.CaseID
	// A reader reports it, with an explanation; the report joins the case.
	var report receiptBody
	must(t, http.StatusAccepted, http.MethodPost, s.base+"/v1/reports", backendKey,
		fmt.Sprintf(`{"reporter_id":"reader-1","target_type":"note","target_id":"note-1","target_user_id":"author-1","category":"harassment","explanation":%q}`, consoleExplain), &report)
	if report.CaseID != caseID {
		t.Fatalf("the report opened case %s, want the screening case %s", report.CaseID, caseID)
	}
	opened := getCase(t, s.base, caseID)
	if opened.Status != "open" || opened.Lane == "" {
		t.Fatalf("case before the console: %+v", opened)
	}

	// 1. Alice signs in and sees the case's lane in the queue.
	alice := b.tab(t, "alice")
	alice.signIn(modAKey, "alice")
	alice.shot("console-queue.png")
	lane := fmt.Sprintf(`table#lanes tr[data-lane=%q]`, opened.Lane)
	if n, err := strconv.Atoi(alice.text(lane + " td.count")); err != nil || n < 1 {
		t.Errorf("queue: %s td.count = %q, want a count of at least 1", lane, alice.text(lane+" td.count"))
	}
	if age := alice.text(lane + " td.oldest"); age == "" || age == "—" {
		t.Errorf("queue: %s td.oldest = %q, want the age of the oldest case", lane, age)
	}
	if !alice.exists(fmt.Sprintf(`table#cases tr.case[data-case-id=%q] a.case-link`, caseID)) {
		t.Errorf("queue: table#cases has no tr.case[data-case-id=%q] with an a.case-link", caseID)
	}

	// 2. She claims the next case: the reported note, highlighted.
	alice.navigate("claim next", chromedp.Click(chromedp.ID("claim-next")))
	alice.wantPath("/console/cases/" + caseID)
	alice.wait(chromedp.WaitVisible(chromedp.CSS("#case-text mark.match")))
	for i, m := range query(alice, "the matches", chromedp.AttributesAll(chromedp.CSSAll("#case-text mark.match"))) {
		if !strings.HasPrefix(m["data-rule"], "harassment.") || m["data-category"] != "harassment" || m["title"] == "" {
			t.Errorf("case: mark.match %d has attributes %v, want a harassment rule, its category and a title", i, m)
		}
	}
	if got := alice.text("#case-text"); got != consoleNote {
		t.Errorf("case: #case-text = %q, want the note", got)
	}
	if got := alice.text("#reports li.report"); !strings.Contains(got, consoleExplain) {
		t.Errorf("case: #reports li.report = %q, want the reporter's explanation", got)
	}
	alice.wait(chromedp.WaitVisible(chromedp.ID("lease")))
	if until, err := time.Parse(time.RFC3339, alice.attr("#lease", "data-until")); err != nil || !until.After(time.Now()) {
		t.Errorf("case: #lease data-until = %q (%v), want a time to come", alice.attr("#lease", "data-until"), err)
	}
	if got := alice.actions(); !slices.Equal(got, []string{"keep", "remove", "suspend", "dismiss", "escalate"}) {
		t.Errorf("case: form#decide offers %v", got)
	}
	alice.shot("console-case.png")
	alice.narrowShot("console-case-narrow.png")

	// 3. She decides with the keyboard: r, a reason, Ctrl+Enter.
	alice.decide('r', "remove", consoleRemoval)
	closed := getCase(t, s.base, caseID)
	if closed.Status != "closed" || closed.DecisionID == "" {
		t.Fatalf("case after alice's decision: %+v, want closed with a decision", closed)
	}
	removal := closed.DecisionID
	if e := findAudit(t, s.base, "alice", "decision.remove", caseID); e == nil || e.DecisionID != removal || e.Reason != consoleRemoval {
		t.Errorf("audit: alice's decision.remove on %s = %+v, want decision %s with her reason", caseID, e, removal)
	}
	if findAudit(t, s.base, "alice", "content.removed", caseID) == nil {
		t.Errorf("audit: no content.removed by alice on %s", caseID)
	}
	var got reportBody
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/reports/"+report.ID, backendKey, "", &got)
	if got.Outcome != "upheld" || got.DecisionID != removal {
		t.Errorf("report after the removal: %+v, want upheld by %s", got, removal)
	}
	if st := userStatus(t, s.base, "author-1"); st.Strikes != 1 {
		t.Errorf("author-1 after the removal: %d strikes, want 1", st.Strikes)
	}

	// 4. The author appeals; alice, who decided, may not decide the appeal.
	var appeal receiptBody
	must(t, http.StatusAccepted, http.MethodPost, s.base+"/v1/appeals", backendKey,
		fmt.Sprintf(`{"user_id":"author-1","decision_id":%q,"statement":%q}`, removal, consoleStatement), &appeal)
	appealID := appeal.CaseID
	av := getCase(t, s.base, appealID)
	if av.Kind != "appeal" || av.Appealed == nil || av.Appealed.Action != "remove" || av.Appealed.Moderator != "alice" || !av.Appealed.ContentRemoved {
		t.Fatalf("appeal case: %+v, want an appeal of alice's removal", av)
	}
	alice.open("open the appeal", s.base+"/console/cases/"+appealID)
	alice.wait(chromedp.WaitVisible(chromedp.ID("own-appeal")))
	for _, sel := range []string{"form#decide", "form#claim"} {
		if alice.exists(sel) {
			t.Errorf("appeal page of its original decider has %s", sel)
		}
	}
	if got := alice.text("#appealed #original-decider"); got != "alice" {
		t.Errorf("appeal: #original-decider = %q, want alice", got)
	}
	alice.navigate("claim next from the appeal page", chromedp.Click(chromedp.ID("claim-next")))
	alice.wait(chromedp.WaitVisible(chromedp.ID("flash")))
	if path := alice.path(); path != "/console/" && path != "/console/queue" {
		t.Errorf("alice's claim-next with only her own appeal open went to %s, want the queue", path)
	}
	if c := getCase(t, s.base, appealID); c.Status != "open" || c.Lease != nil {
		t.Errorf("appeal after alice's claim-next: %+v, want open and unclaimed", c)
	}

	// 5. Alice signs out; the console then sends her to the login page.
	alice.navigate("sign out", chromedp.Click(chromedp.ID("sign-out-button")))
	alice.wantPath("/console/login")
	alice.open("the queue after signing out", s.base+"/console/")
	alice.wantPath("/console/login")
	alice.wait(chromedp.WaitVisible(chromedp.CSS("form#login")))
	alice.close()

	// Bob claims the appeal and reverses alice's removal.
	bob := b.tab(t, "bob")
	bob.signIn(modBKey, "bob")
	bob.navigate("claim next", chromedp.Click(chromedp.ID("claim-next")))
	bob.wantPath("/console/cases/" + appealID)
	bob.wait(chromedp.WaitVisible(chromedp.CSS("form#decide")))
	if got := bob.text("#appealed #original-decider"); got != "alice" {
		t.Errorf("appeal: #original-decider = %q, want alice", got)
	}
	if got := bob.text("#appealed #original-action"); got != "remove" {
		t.Errorf("appeal: #original-action = %q, want remove", got)
	}
	if bob.exists("#own-appeal") {
		t.Errorf("bob's appeal page shows #own-appeal")
	}
	if got := bob.actions(); !slices.Equal(got, []string{"reverse", "dismiss", "escalate"}) {
		t.Errorf("appeal: form#decide offers %v, want reverse, dismiss, escalate", got)
	}
	bob.shot("console-appeal.png")

	// 6. While bob holds the appeal: the console's sign-in, cookie and CSRF
	// checks, through plain HTTP.
	consoleHTTPChecks(t, s.base, appealID)

	bob.decide('v', "reverse", consoleReversal)
	if c := getCase(t, s.base, appealID); c.Status != "closed" || c.DecisionID == "" {
		t.Errorf("appeal after bob's decision: %+v, want closed with a decision", c)
	}
	if e := findAudit(t, s.base, "bob", "decision.reverse", appealID); e == nil || e.Reason != consoleReversal {
		t.Errorf("audit: bob's decision.reverse on %s = %+v, want his reason", appealID, e)
	}
	if e := findAudit(t, s.base, "bob", "content.restored", appealID); e == nil || e.TargetID != "note-1" {
		t.Errorf("audit: content.restored by bob on %s = %+v, want note-1 restored", appealID, e)
	}
	if st := userStatus(t, s.base, "author-1"); st.Strikes != 0 {
		t.Errorf("author-1 after the reversal: %d strikes, want 0", st.Strikes)
	}

	// 7. The playground screens a pasted text.
	bob.open("playground", s.base+"/console/playground")
	bob.do("paste a text", chromedp.SendKeys(chromedp.ID("text"), consoleNote))
	bob.navigate("try it", chromedp.Click(chromedp.ID("try")))
	bob.wait(chromedp.WaitVisible(chromedp.ID("verdict-action")))
	if got := bob.text("#verdict-action"); got != "review" {
		t.Errorf("playground: #verdict-action = %q, want review", got)
	}
	if m := query(bob, "playground matches", chromedp.AttributesAll(chromedp.CSSAll("#playground-text mark.match"))); len(m) == 0 || m[0]["data-category"] != "harassment" {
		t.Errorf("playground: #playground-text mark.match = %v, want harassment matches", m)
	}
	if !bob.exists("table#matches tr td") {
		t.Errorf("playground: table#matches has no rows")
	}
	bob.shot("console-playground.png")

	// A distressing case is blurred until the moderator reveals it.
	var threat struct {
		CaseID string `json:"case_id"`
	}
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey,
		fmt.Sprintf(`{"text":%q,"user_id":"author-2","content_id":"note-2"}`, consoleThreat), &threat)
	if threat.CaseID == "" {
		t.Fatalf("the threat opened no case")
	}
	bob.open("the distressing case", s.base+"/console/cases/"+threat.CaseID)
	bob.wait(chromedp.WaitVisible(chromedp.CSS("#case-text.blurred")), chromedp.WaitVisible(chromedp.ID("reveal")))
	bob.shot("console-case-blurred.png")
	bob.do("reveal", chromedp.Click(chromedp.ID("reveal")))
	if bob.exists("#case-text.blurred") {
		t.Errorf("case: #case-text is still blurred after button#reveal")
	}
	bob.close()

	// The audit log, as the admin sees it.
	ops := b.tab(t, "ops")
	ops.signIn(adminKey, "ops")
	ops.open("audit", s.base+"/console/audit")
	ops.wait(chromedp.WaitVisible(chromedp.CSS("table#audit tr.entry")))
	entries := strings.Join(query(ops, "audit rows", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('table#audit tr.entry')).map(r => r.innerText)`)), "\n")
	for _, want := range []string{"decision.remove", "decision.reverse", "content.restored"} {
		if !strings.Contains(entries, want) {
			t.Errorf("audit page: no %s in table#audit:\n%s", want, entries)
		}
	}
	ops.shot("console-audit.png")
	ops.close()
}

// consoleHTTPChecks signs in and sends forms without a browser: signed-out
// pages redirect to the login, only moderator and admin keys sign in, the
// session cookie is HttpOnly and SameSite=Strict, and a POST without the right
// csrf field is refused. bob holds caseID, which must stay undecided.
func consoleHTTPChecks(t *testing.T, base, caseID string) {
	t.Helper()
	anon := consoleClient(t)
	for _, path := range []string{"/console/", "/console/queue", "/console/cases/" + caseID, "/console/playground", "/console/audit", "/console/users?id=author-1"} {
		resp := anon.do(t, http.MethodGet, base+path, nil)
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/console/login" {
			t.Errorf("GET %s without a session: %d %v, want 303 to /console/login", path, resp.StatusCode, loc)
		}
	}

	signIn := func(c *consoleHTTP, key, csrf string) *http.Response {
		return c.do(t, http.MethodPost, base+"/console/login", url.Values{"key": {key}, "csrf": {csrf}})
	}
	for _, tc := range []struct {
		name, key string
		status    int
	}{
		{"a backend key", backendKey, http.StatusForbidden},
		{"a wrong key", "wrong-key-0123456789abcdef", http.StatusUnauthorized},
	} {
		c := consoleClient(t)
		resp := signIn(c, tc.key, c.csrf(t, base+"/console/login"))
		if resp.StatusCode != tc.status || !strings.Contains(c.last, `id="error"`) || sessionCookie(resp) != nil {
			t.Errorf("sign-in with %s: status %d, cookie %v, want %d and the login page with #error:\n%s", tc.name, resp.StatusCode, sessionCookie(resp), tc.status, tail(c.last, 1500))
		}
	}
	c := consoleClient(t)
	c.csrf(t, base+"/console/login")
	if resp := signIn(c, modBKey, ""); resp.StatusCode != http.StatusForbidden || sessionCookie(resp) != nil {
		t.Errorf("sign-in without the csrf field: status %d, want 403 and no session", resp.StatusCode)
	}

	resp := signIn(c, modBKey, c.csrf(t, base+"/console/login"))
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/console/" {
		t.Fatalf("bob's sign-in: %d %v, want 303 to /console/:\n%s", resp.StatusCode, loc, tail(c.last, 1500))
	}
	if ck := sessionCookie(resp); ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console" {
		t.Errorf("session cookie %v, want aup_console; Path=/console; HttpOnly; SameSite=Strict (Set-Cookie: %q)", ck, resp.Header.Values("Set-Cookie"))
	}
	token := c.csrf(t, base+"/console/cases/"+caseID)
	decide := url.Values{"action": {"reverse"}, "reason": {"forged"}}
	for _, tc := range []struct {
		name, path, csrf string
	}{
		{"decide without csrf", "/console/cases/" + caseID + "/decide", ""},
		{"decide with a wrong csrf", "/console/cases/" + caseID + "/decide", "x" + token},
		{"claim without csrf", "/console/claim", ""},
		{"sign out without csrf", "/console/logout", ""},
	} {
		form := url.Values{}
		for k, v := range decide {
			form[k] = v
		}
		if tc.csrf != "" {
			form.Set("csrf", tc.csrf)
		}
		if resp := c.do(t, http.MethodPost, base+tc.path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tc.name, resp.StatusCode)
		}
	}
	if v := getCase(t, base, caseID); v.Status != "claimed" || v.Lease == nil || v.Lease.Moderator != "bob" {
		t.Errorf("after forged posts the appeal is %+v, want still claimed by bob", v)
	}
	// The same session with its token signs out: the token, not the
	// session, was what the refused posts lacked.
	resp = c.do(t, http.MethodPost, base+"/console/logout", url.Values{"csrf": {token}})
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/console/login" {
		t.Errorf("sign-out with the page's csrf: %d %v, want 303 to /console/login", resp.StatusCode, loc)
	}
}

// consoleHTTP is a cookie-keeping client that does not follow redirects, so
// that a test sees each 303.
type consoleHTTP struct {
	client *http.Client
	last   string // the body of the last answer
}

func consoleClient(t *testing.T) *consoleHTTP {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleHTTP{client: &http.Client{
		Jar:           jar,
		Timeout:       consoleStep,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a GET, or a POST of form, and keeps the body in c.last.
func (c *consoleHTTP) do(t *testing.T, method, u string, form url.Values) *http.Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.last = string(b)
	return resp
}

// csrf loads the page at u and returns the value of its first hidden csrf
// input.
func (c *consoleHTTP) csrf(t *testing.T, u string) string {
	t.Helper()
	if resp := c.do(t, http.MethodGet, u, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, resp.StatusCode)
	}
	doc, err := html.Parse(strings.NewReader(c.last))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "input" && attrOf(n, "name") == "csrf" {
			if v := attrOf(n, "value"); v != "" {
				return v
			}
		}
	}
	t.Fatalf("GET %s: no input[name=csrf] with a value:\n%s", u, tail(c.last, 1500))
	return ""
}

func attrOf(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// sessionCookie returns the aup_console cookie resp sets, if any.
func sessionCookie(resp *http.Response) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == "aup_console" && ck.Value != "" {
			return ck
		}
	}
	return nil
}

// consoleCase is the JSON API's view of a case, as far as the console test
// reads it.
type consoleCase struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Status     string `json:"status"`
	Lane       string `json:"lane"`
	DecisionID string `json:"decision_id"`
	Lease      *struct {
		Moderator string `json:"moderator"`
	} `json:"lease"`
	Appealed *struct {
		ID             string `json:"id"`
		Action         string `json:"action"`
		Moderator      string `json:"moderator"`
		ContentRemoved bool   `json:"content_removed"`
	} `json:"appealed_decision"`
}

func getCase(t *testing.T, base, id string) consoleCase {
	t.Helper()
	var c consoleCase
	must(t, http.StatusOK, http.MethodGet, base+"/v1/review/items/"+id, adminKey, "", &c)
	return c
}

type auditEntry struct {
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	TargetID   string `json:"target_id"`
	CaseID     string `json:"case_id"`
	DecisionID string `json:"decision_id"`
	Reason     string `json:"reason"`
}

// findAudit returns the audit entry by actor with action on caseID, or nil.
func findAudit(t *testing.T, base, actor, action, caseID string) *auditEntry {
	t.Helper()
	var log struct {
		Entries []auditEntry `json:"entries"`
	}
	must(t, http.StatusOK, http.MethodGet, base+"/v1/audit?limit=500", adminKey, "", &log)
	for _, e := range log.Entries {
		if e.Actor == actor && e.Action == action && e.CaseID == caseID {
			return &e
		}
	}
	return nil
}

func userStatus(t *testing.T, base, id string) (st struct {
	Strikes int `json:"strikes"`
}) {
	t.Helper()
	must(t, http.StatusOK, http.MethodGet, base+"/v1/users/"+id+"/status", backendKey, "", &st)
	return st
}

// browser is a headless Chromium shared by the test's tabs.
type browser struct {
	ctx      context.Context
	base     string // the service's
	deadline time.Time
	shots    string // AUP_SCREENSHOTS: where to save screenshots, or ""
}

// startBrowser starts a headless Chromium for the test, stopped when it
// ends. Without a browser the test skips, or fails when CI is set.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		browserUnavailable(t, errors.New("none of chromium, chromium-browser, google-chrome is on PATH"))
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(consoleWideWidth, 800),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	// The first Do binds the browser's life to its context: give it ctx,
	// and stop a start that hangs with a timer.
	hung := time.AfterFunc(30*time.Second, cancelBrowser)
	err := chromedp.Do(ctx)
	if !hung.Stop() {
		err = fmt.Errorf("no browser after 30s: %w", err)
	}
	if err != nil {
		browserUnavailable(t, fmt.Errorf("start %s: %w", path, err))
	}
	b := &browser{ctx: ctx, shots: os.Getenv(screenshotsEnv)}
	if b.shots != "" {
		if err := os.MkdirAll(b.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// begin starts the story's clock against the service at base.
func (b *browser) begin(t *testing.T, base string) {
	b.base = base
	b.deadline = time.Now().Add(consoleTimeout)
	if d, ok := t.Deadline(); ok && d.Add(-5*time.Second).Before(b.deadline) {
		b.deadline = d.Add(-5 * time.Second)
	}
}

func browserUnavailable(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("a headless Chromium is required in CI: apt-get install chromium (%v)", err)
	}
	if os.Getenv(screenshotsEnv) != "" {
		t.Fatalf("%s is set, but there is no browser to take screenshots with: apt-get install chromium (%v)", screenshotsEnv, err)
	}
	t.Skipf("skipping: no browser to drive the console (%v); install one with apt-get install chromium", err)
}

// tab is one moderator's tab, in a browser context of its own (its own
// cookies). A failing step ends the test with the page's address and text.
type tab struct {
	t    *testing.T
	b    *browser
	name string
	ctx  context.Context
	stop context.CancelFunc

	mu     sync.Mutex
	errors []string // uncaught script exceptions
}

func (b *browser) tab(t *testing.T, name string) *tab {
	t.Helper()
	tb := &tab{t: t, b: b, name: name}
	tb.ctx, tb.stop = chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(func(ev any) {
		if ev, ok := ev.(*runtime.EventExceptionThrown); ok {
			tb.mu.Lock()
			defer tb.mu.Unlock()
			tb.errors = append(tb.errors, exceptionText(ev.ExceptionDetails))
		}
	}))
	t.Cleanup(tb.close)
	// The first Do opens the tab and binds it to its context: give it the
	// tab's own, and stop a hang with a timer.
	hung := time.AfterFunc(consoleStep, tb.stop)
	err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(consoleWideWidth, 800))
	if !hung.Stop() {
		err = fmt.Errorf("no tab after %v: %w", consoleStep, err)
	}
	if err != nil {
		t.Fatalf("open %s's tab: %v", name, err)
	}
	return tb
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "an exception"
	}
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		msg += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg)
}

// close closes the tab and reports the page's uncaught script errors.
func (tb *tab) close() {
	tb.stop()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		tb.t.Errorf("%s's tab: script error: %s", tb.name, e)
	}
	tb.errors = nil
}

// step is the context of one step: consoleStep long, and never past the
// story's deadline.
func (tb *tab) step() (context.Context, context.CancelFunc) {
	d := time.Now().Add(consoleStep)
	if tb.b.deadline.Before(d) {
		d = tb.b.deadline
	}
	return context.WithDeadline(tb.ctx, d)
}

func (tb *tab) fail(what string, err error) {
	tb.t.Helper()
	tb.t.Fatalf("%s's tab: %s: %v\n%s", tb.name, what, err, tb.state())
}

// state describes the page for a failure message: its address and text.
func (tb *tab) state() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : document.documentElement.outerHTML`))
	if err != nil {
		text = fmt.Sprintf("(no text: %v)", err)
	}
	return fmt.Sprintf("page %s:\n%s", loc, tail(text, 2000))
}

func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.fail(what, err)
	}
}

func (tb *tab) wait(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	tb.do("wait", steps...)
}

func query[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.fail(what, err)
	}
	return v
}

// open loads the page at u, which must answer 200 (after redirects).
func (tb *tab) open(what, u string) {
	tb.t.Helper()
	tb.wantStatus(what, query(tb, what, chromedp.NavigateResponse(u)))
}

// navigate runs steps that load a page, such as a click on a button of a
// form, and waits for it; the page must answer 200 (after redirects).
func (tb *tab) navigate(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		tb.fail(what, err)
	}
	tb.wantStatus(what, resp)
}

func (tb *tab) wantStatus(what string, resp *network.Response) {
	tb.t.Helper()
	if resp == nil || resp.Status != http.StatusOK {
		got := "no response"
		if resp != nil {
			got = strconv.Itoa(int(resp.Status))
		}
		tb.fail(what, fmt.Errorf("status %s, want 200", got))
	}
}

func (tb *tab) path() string {
	tb.t.Helper()
	u, err := url.Parse(query(tb, "location", chromedp.Location()))
	if err != nil {
		tb.fail("location", err)
	}
	return u.Path
}

func (tb *tab) wantPath(want string) {
	tb.t.Helper()
	if got := tb.path(); got != want {
		tb.fail("where the page is", fmt.Errorf("at %s, want %s", got, want))
	}
}

// exists says whether an element matches the CSS selector now.
func (tb *tab) exists(sel string) bool {
	tb.t.Helper()
	return query(tb, "look for "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
}

// text returns the trimmed text of the first element matching the CSS
// selector, once it is there.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return strings.TrimSpace(query(tb, "read "+sel, chromedp.TextContent(chromedp.CSS(sel))))
}

func (tb *tab) attr(sel, name string) string {
	tb.t.Helper()
	return query(tb, "read "+sel+"["+name+"]", chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// actions lists the values of form#decide's decision buttons, each checked
// to carry its shortcut.
func (tb *tab) actions() []string {
	tb.t.Helper()
	keys := map[string]string{"keep": "k", "remove": "r", "suspend": "s", "dismiss": "d", "escalate": "e", "reverse": "v"}
	var values []string
	for _, a := range query(tb, "the decision buttons", chromedp.AttributesAll(chromedp.CSSAll(`form#decide button.decision[name=action]`))) {
		values = append(values, a["value"])
		if a["data-key"] != keys[a["value"]] {
			tb.t.Errorf("%s's tab: button.decision[value=%q] has data-key %q, want %q", tb.name, a["value"], a["data-key"], keys[a["value"]])
		}
	}
	return values
}

// signIn signs in through form#login and lands on the queue.
func (tb *tab) signIn(key, who string) {
	tb.t.Helper()
	tb.open("open the login page", tb.b.base+"/console/login")
	tb.wait(chromedp.WaitVisible(chromedp.CSS("form#login")))
	if who == "alice" {
		tb.shot("console-login.png")
	}
	tb.do("type the key", chromedp.SendKeys(chromedp.ID("key"), key))
	tb.navigate("sign in", chromedp.Click(chromedp.ID("sign-in")))
	tb.wantPath("/console/")
	tb.wait(chromedp.WaitVisible(chromedp.CSS("table#lanes")))
	if got := tb.text("header #whoami"); !strings.Contains(got, who) {
		tb.t.Errorf("%s's tab: header #whoami = %q", tb.name, got)
	}
	if !tb.exists("form#sign-out button#sign-out-button") {
		tb.t.Errorf("%s's tab: no form#sign-out with button#sign-out-button", tb.name)
	}
}

// decide presses key outside any text field, checks that it selected action
// and moved the focus to the reason, types reason and sends the form with
// Ctrl+Enter; the next page must show #flash.
func (tb *tab) decide(key rune, action, reason string) {
	tb.t.Helper()
	tb.do("leave any field, press "+string(key),
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
		press(key))
	state := func() []string {
		return query(tb, "the form's state", chromedp.Evaluate[[]string](`[
			Array.from(document.querySelectorAll('form#decide button.decision.selected')).map(b => b.value).join(','),
			(document.querySelector('input#action') || {}).value || '',
			(document.activeElement || {}).id || '',
			(document.querySelector('textarea#reason') || {}).value || '']`))
	}
	if got := state(); !slices.Equal(got, []string{action, action, "reason", ""}) {
		tb.fail("press "+string(key), fmt.Errorf("selected %q, input#action %q, focus on #%s, reason %q; want %s selected and set, the focus on #reason, no reason yet", got[0], got[1], got[2], got[3], action))
	}
	// Shortcut letters typed into the reason are text, not shortcuts.
	tb.do("type the reason", chromedp.KeyEvent(reason))
	if got := state(); !slices.Equal(got, []string{action, action, "reason", reason}) {
		tb.fail("type the reason", fmt.Errorf("selected %q, input#action %q, focus on #%s, reason %q; want %s, the reason typed as is", got[0], got[1], got[2], got[3], action))
	}
	tb.navigate("Ctrl+Enter", press('\r', chromedp.ModifierCtrl))
	tb.wait(chromedp.WaitVisible(chromedp.ID("flash")))
}

// shot saves a full-page screenshot as name when AUP_SCREENSHOTS is set.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	if tb.b.shots == "" {
		return
	}
	png := query(tb, "screenshot "+name, chromedp.FullScreenshot(100)) // 100: PNG, lower is JPEG
	if err := os.WriteFile(filepath.Join(tb.b.shots, name), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// narrowShot saves a screenshot of the page on a phone-wide viewport.
func (tb *tab) narrowShot(name string) {
	tb.t.Helper()
	if tb.b.shots == "" {
		return
	}
	tb.do("narrow the viewport", chromedp.EmulateViewport(consoleNarrowWidth, 844))
	tb.shot(name)
	tb.do("widen the viewport", chromedp.EmulateViewport(consoleWideWidth, 800))
}

// press presses one key as a person does: a keydown that carries the
// character, so that a page that cancels the keydown types nothing, then a
// keyup. (chromedp.KeyEvent sends the character as an event of its own,
// which a cancelled keydown does not stop.) With Ctrl, Alt or Meta no
// character is typed.
func press(key rune, mods ...chromedp.Modifier) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		evs := kb.Encode(key)
		down, up := *evs[0], *evs[len(evs)-1]
		if len(evs) == 3 {
			down.Text, down.UnmodifiedText = evs[1].Text, evs[1].UnmodifiedText
		}
		for _, m := range mods {
			down.Modifiers |= int64(m)
			up.Modifiers |= int64(m)
		}
		if down.Modifiers&int64(chromedp.ModifierCtrl|chromedp.ModifierAlt|chromedp.ModifierMeta) != 0 {
			down.Text, down.UnmodifiedText = "", ""
		}
		if down.Text == "" {
			down.Type = input.DispatchKeyEventTypeRawKeyDown
		}
		for _, ev := range []input.DispatchKeyEventParams{down, up} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
