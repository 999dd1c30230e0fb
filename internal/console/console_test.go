package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/console"
	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// The browser story (sign in, claim, decide by keyboard, appeal) runs in
// cmd/aup against a real Chromium; these tests cover the console's own
// rules over real HTTP: sessions, CSRF, roles, pages and errors.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// wordScreener stands in for the engine (tested on its own): it matches the
// word "idiot" as harassment.
type wordScreener struct{}

func (wordScreener) Screen(_ context.Context, c moderation.Content) (moderation.Verdict, error) {
	v := moderation.Verdict{Action: moderation.Allow, Language: moderation.Language{Code: "en", Confidence: 1}, Sources: []string{"rules"}}
	if i := strings.Index(c.Text, "idiot"); i >= 0 {
		v.Action = moderation.Review
		v.Categories = []moderation.CategoryScore{{Category: moderation.Harassment, Score: 0.6, Action: moderation.Review}}
		v.Matches = []moderation.Match{{Rule: "harassment.test.idiot", Category: moderation.Harassment, Start: i, End: i + 5, Score: 0.6}}
	}
	return v, nil
}

const (
	aliceKey   = "alice-key-0123456789"
	bobKey     = "bob-key-0123456789ab"
	backendKey = "backend-key-0123456789"
	adminKey   = "admin-key-0123456789ab"
)

type env struct {
	url   string
	desk  *review.Desk
	clock *clock
}

func start(t *testing.T) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	store := memstore.NewRecords()
	desk, err := review.New(review.Config{Store: store, Screener: wordScreener{}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	keys := []httpapi.Key{{Name: "alice", Role: "moderator", Secret: aliceKey}, {Name: "bob", Role: "moderator", Secret: bobKey}, {Name: "product", Role: "backend", Secret: backendKey}, {Name: "ops", Role: "admin", Secret: adminKey}}
	con, err := console.New(console.Config{Desk: desk, Screener: wordScreener{}, Keys: httpapi.NewKeyring(keys), Sessions: store, SessionTTL: time.Hour, MaxTextBytes: 1000, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)
	return &env{url: srv.URL, desk: desk, clock: clk}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      *testing.T
	client *http.Client
	base   string
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.url, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) resp {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	r, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	data, _ := io.ReadAll(r.Body)
	return resp{status: r.StatusCode, body: string(data), location: r.Header.Get("Location"), header: r.Header}
}

func (b *browser) get(path string) resp { b.t.Helper(); return b.do(http.MethodGet, path, nil, nil) }

// post sends a form with the page's CSRF token, taken from the page at from.
func (b *browser) post(from, path string, form url.Values) resp {
	b.t.Helper()
	form.Set("csrf", csrfOf(b.t, b.get(from).body))
	return b.do(http.MethodPost, path, form, nil)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in %.300s", page)
	}
	return m[1]
}

func (b *browser) signIn(key string) resp {
	b.t.Helper()
	return b.post("/console/login", "/console/login", url.Values{"key": {key}})
}

func TestSignIn(t *testing.T) {
	e := start(t)
	tests := []struct {
		name   string
		key    string
		status int
		want   string
	}{
		{"wrong key", "not-a-key-0123456789", http.StatusUnauthorized, "invalid API key"},
		{"backend key", backendKey, http.StatusForbidden, "the console is for moderator and admin keys"},
		{"moderator", aliceKey, http.StatusSeeOther, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser(t)
			r := b.signIn(tc.key)
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("status %d, body %.200s; want %d with %q", r.status, r.body, tc.status, tc.want)
			}
			if strings.Contains(r.body, tc.key) {
				t.Error("the key was echoed back")
			}
			if tc.status != http.StatusSeeOther {
				return
			}
			ck := r.header.Values("Set-Cookie")[0]
			for _, attr := range []string{"aup_console=", "HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=3600"} {
				if !strings.Contains(ck, attr) {
					t.Errorf("session cookie %q lacks %s", ck, attr)
				}
			}
			if strings.Contains(ck, "Secure") {
				t.Error("Secure cookie over plain HTTP: the browser would never send it back")
			}
			if q := b.get("/console/"); q.status != http.StatusOK || !strings.Contains(q.body, `id="whoami">alice (moderator)`) {
				t.Errorf("queue after sign-in: %d", q.status)
			}
		})
	}
	t.Run("the sign-in form needs its token", func(t *testing.T) {
		b := e.browser(t)
		if r := b.do(http.MethodPost, "/console/login", url.Values{"key": {aliceKey}}, nil); r.status != http.StatusForbidden {
			t.Errorf("sign-in without the form's token: %d", r.status)
		}
	})
	t.Run("secure behind a TLS proxy", func(t *testing.T) {
		b := e.browser(t)
		form := url.Values{"key": {aliceKey}, "csrf": {csrfOf(t, b.get("/console/login").body)}}
		r := b.do(http.MethodPost, "/console/login", form, map[string]string{"X-Forwarded-Proto": "https"})
		if !strings.Contains(r.header.Get("Set-Cookie"), "Secure") {
			t.Errorf("cookie %q over https lacks Secure", r.header.Get("Set-Cookie"))
		}
	})
}

func TestSessions(t *testing.T) {
	e := start(t)
	b := e.browser(t)
	if r := b.get("/console/users"); r.status != http.StatusSeeOther || r.location != "/console/login" {
		t.Fatalf("signed out: %d to %q", r.status, r.location)
	}
	b.signIn(aliceKey)
	if r := b.get("/console/users"); r.status != http.StatusOK {
		t.Fatalf("signed in: %d", r.status)
	}
	// The audit log is for admins, as in the API.
	if r := b.get("/console/audit"); r.status != http.StatusForbidden || strings.Contains(b.get("/console/").body, `href="/console/audit"`) {
		t.Errorf("a moderator's audit page: %d", r.status)
	}
	// Sign-out ends the session on the server, not only in this browser.
	stolen := b.client.Jar.Cookies(mustURL(t, e.url+"/console/"))
	if r := b.post("/console/", "/console/logout", url.Values{}); r.status != http.StatusSeeOther || r.location != "/console/login" {
		t.Fatalf("sign-out: %d to %q", r.status, r.location)
	}
	thief := e.browser(t)
	thief.client.Jar.SetCookies(mustURL(t, e.url+"/console/"), stolen)
	if r := thief.get("/console/"); r.status != http.StatusSeeOther {
		t.Errorf("a signed-out session's cookie still works: %d", r.status)
	}
	// Sessions expire.
	b.signIn(aliceKey)
	e.clock.Advance(61 * time.Minute)
	if r := b.get("/console/"); r.status != http.StatusSeeOther {
		t.Errorf("after the session's lifetime: %d", r.status)
	}
}

func TestFormsNeedTheSessionsToken(t *testing.T) {
	e := start(t)
	b := e.browser(t)
	b.signIn(aliceKey)
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{}, nil},
		{"a wrong token", url.Values{"csrf": {"forged"}}, nil},
		{"another origin", url.Values{"csrf": {csrfOf(t, b.get("/console/").body)}}, map[string]string{"Origin": "https://evil.example"}},
		{"an opaque origin from another site", url.Values{"csrf": {csrfOf(t, b.get("/console/").body)}}, map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}},
	} {
		if r := b.do(http.MethodPost, "/console/claim", tc.form, tc.header); r.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, r.status)
		}
	}
	if r := b.post("/console/", "/console/claim", url.Values{}); r.status != http.StatusSeeOther {
		t.Errorf("with the token: %d", r.status)
	}
	// What a browser sends with a same-origin form under some referrer
	// policies.
	form := url.Values{"csrf": {csrfOf(t, b.get("/console/").body)}}
	if r := b.do(http.MethodPost, "/console/claim", form, map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}); r.status != http.StatusSeeOther {
		t.Errorf("a same-origin form with an opaque origin: %d", r.status)
	}
}

func TestClaimDecideAndAppeal(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	rep, _, err := e.desk.Submit(ctx, moderation.Report{ReporterID: "r1", Target: moderation.Target{Type: moderation.TargetNote, ID: "n1", UserID: "u1"},
		Category: moderation.Harassment, Text: "you <b>idiot</b>", Explanation: "insults in our shared list"})
	if err != nil {
		t.Fatal(err)
	}
	alice := e.browser(t)
	alice.signIn(aliceKey)
	queue := alice.get("/console/")
	if !regexp.MustCompile(`data-lane="high">.*?class="count">1<`).MatchString(queue.body) || !strings.Contains(queue.body, rep.CaseID) {
		t.Fatalf("queue: %.2000s", queue.body)
	}
	r := alice.post("/console/", "/console/claim", url.Values{})
	if r.location != "/console/cases/"+rep.CaseID {
		t.Fatalf("claim next went to %q", r.location)
	}
	page := alice.get(r.location).body
	for _, want := range []string{
		`<mark class="match cat-harassment" data-rule="harassment.test.idiot" data-category="harassment"`,
		"you &lt;b&gt;", // the text is escaped, never rendered as HTML
		"insults in our shared list",
		`id="lease"`, `id="decide"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("case page lacks %s", want)
		}
	}
	// A decision the desk refuses says why and keeps the reason typed.
	r = alice.post(r.location, "/console/cases/"+rep.CaseID+"/decide", url.Values{"action": {"", "remove"}, "reason": {"  "}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "reason is required") {
		t.Errorf("decision without a reason: %d %.300s", r.status, r.body)
	}
	// The shortcut's hidden field, then the button: either names the action.
	r = alice.post("/console/cases/"+rep.CaseID, "/console/cases/"+rep.CaseID+"/decide",
		url.Values{"action": {"remove", ""}, "reason": {"insult"}, "category": {"harassment"}, "form_id": {"f1"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/console/?") {
		t.Fatalf("decide: %d to %q", r.status, r.location)
	}
	if q := alice.get(r.location).body; !strings.Contains(q, "remove.") || !strings.Contains(q, "queue is empty") {
		t.Errorf("after the last case: %.500s", q)
	}
	cv, _ := e.desk.Case(ctx, rep.CaseID)
	if cv.Status != moderation.CaseClosed || cv.DecisionID == "" {
		t.Fatalf("case after the decision: %+v", cv.Case)
	}

	// The author appeals; alice made the decision and may not decide it.
	appeal, _, err := e.desk.Appeal(ctx, "u1", cv.DecisionID, "it was a joke between friends")
	if err != nil {
		t.Fatal(err)
	}
	page = alice.get("/console/cases/" + appeal.ID).body
	if !strings.Contains(page, `id="own-appeal"`) || strings.Contains(page, `id="decide"`) || strings.Contains(page, `id="claim"`) ||
		!strings.Contains(page, `id="original-decider">alice<`) || !strings.Contains(page, `data-rule="harassment.test.idiot"`) {
		t.Errorf("alice's view of the appeal: %.3000s", page)
	}
	if r := alice.post("/console/", "/console/cases/"+appeal.ID+"/claim", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("alice claiming the appeal: %d", r.status)
	}
	bob := e.browser(t)
	bob.signIn(bobKey)
	r = bob.post("/console/", "/console/claim", url.Values{})
	if r.location != "/console/cases/"+appeal.ID {
		t.Fatalf("bob's next case: %q", r.location)
	}
	r = bob.post(r.location, "/console/cases/"+appeal.ID+"/decide", url.Values{"action": {"", "reverse"}, "reason": {"context shows banter"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("bob's decision: %d %.300s", r.status, r.body)
	}
	if av, _ := e.desk.Case(ctx, appeal.ID); av.Status != moderation.CaseClosed {
		t.Errorf("appeal after bob's decision: %s", av.Status)
	}
	ops := e.browser(t)
	ops.signIn(adminKey)
	audit := ops.get("/console/audit?actor=bob").body
	if !strings.Contains(audit, `class="entry"`) || strings.Contains(audit, ">alice<") {
		t.Errorf("audit filtered by bob: %.1000s", audit)
	}
	if u := bob.get("/console/users?id=u1").body; !strings.Contains(u, `id="suspended">no`) || !strings.Contains(u, cv.DecisionID) || strings.Contains(u, `id="restricted"`) {
		t.Errorf("user lookup: %.1000s", u)
	}
	if _, err := e.desk.Restrict(ctx, "ops", "u1", true, "contests the data"); err != nil {
		t.Fatal(err)
	}
	if u := bob.get("/console/users?id=u1").body; !strings.Contains(u, `id="restricted"`) || !strings.Contains(u, "contests the data") {
		t.Errorf("user lookup of a restricted user: %.1000s", u)
	}
}

func TestPlayground(t *testing.T) {
	e := start(t)
	b := e.browser(t)
	b.signIn(aliceKey)
	tests := []struct {
		name, text string
		status     int
		want       string
	}{
		{"a match", "what an idiot", http.StatusOK, `<mark class="match cat-harassment"`},
		{"clean", "buy milk", http.StatusOK, `id="verdict-action" class="action-allow">allow<`},
		{"empty", " ", http.StatusBadRequest, "paste a text"},
		{"too long", strings.Repeat("a", 1001), http.StatusRequestEntityTooLarge, "the limit is 1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/console/playground", "/console/playground", url.Values{"text": {tc.text}})
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Errorf("%d, want %d with %s: %.500s", r.status, tc.status, tc.want, r.body)
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	e := start(t)
	b := e.browser(t)
	b.signIn(adminKey)
	for path, status := range map[string]int{
		"/console/cases/case_nope":     http.StatusNotFound,
		"/console/?lane=sideways":      http.StatusBadRequest,
		"/console/?offset=-3":          http.StatusBadRequest,
		"/console/static/console.css":  http.StatusOK,
		"/console/static/missing.js":   http.StatusNotFound,
		"/console/users?id=u-nobody":   http.StatusOK,
		"/console/audit?after=garbage": http.StatusBadRequest,
	} {
		if r := b.get(path); r.status != status {
			t.Errorf("%s: %d, want %d", path, r.status, status)
		}
	}
	big := url.Values{"text": {strings.Repeat("x", 20_000)}}
	if r := b.post("/console/playground", "/console/playground", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a form over the body limit: %d", r.status)
	}
	if csp := b.get("/console/").header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestNoStrandedCasesAndSafeLinks(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	for _, n := range []string{"n1", "n2", "n3"} {
		_, _, err := e.desk.Submit(ctx, moderation.Report{ReporterID: "r-" + n, Target: moderation.Target{Type: moderation.TargetNote, ID: n, UserID: "u1"},
			Category: moderation.Harassment, Text: "you idiot"})
		if err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser(t)
	b.signIn(aliceKey)
	first := b.post("/console/", "/console/claim", url.Values{}).location
	if again := b.post("/console/", "/console/claim", url.Values{}).location; again != first {
		t.Errorf("claim next while holding a case: %q, then %q", first, again)
	}
	id := strings.TrimPrefix(first, "/console/cases/")
	form := url.Values{"action": {"remove"}, "reason": {"insult"}, "category": {"harassment"}, "form_id": {"same-form"}}
	b.post(first, "/console/cases/"+id+"/decide", form)
	// The same form again (the back button): the decision is not repeated
	// and no further case is taken.
	r := b.post("/console/", "/console/cases/"+id+"/decide", form)
	if !strings.HasPrefix(r.location, "/console/cases/"+id+"?") || !strings.Contains(b.get(r.location).body, "(already done)") {
		t.Errorf("a form sent twice: %q", r.location)
	}
	claimed, _, _ := e.desk.List(ctx, review.Filter{Status: moderation.CaseClaimed})
	if len(claimed) != 1 {
		t.Errorf("%d cases claimed after one decision sent twice; want the one next case", len(claimed))
	}
	if q := b.get("/console/?done=Your+session+expired&case=x"); strings.Contains(q.body, "session expired") {
		t.Error("text from the URL was shown as a message")
	}
	long := url.Values{"action": {"keep"}, "reason": {strings.Repeat("x", 2001)}}
	next := b.post("/console/", "/console/claim", url.Values{}).location
	if r := b.post(next, next+"/decide", long); r.status != http.StatusBadRequest || !strings.Contains(r.body, "the limit is 2000") {
		t.Errorf("a reason over 2000 bytes: %d", r.status)
	}
	ops := e.browser(t)
	ops.signIn(adminKey)
	if a := ops.get("/console/audit?actor=alice").body; !strings.Contains(a, `href="/console/audit?actor=alice&amp;after=`) {
		t.Errorf("the audit's next link is not a plain link: %.200s", a[strings.Index(a, "audit-next")-20:])
	}
}
