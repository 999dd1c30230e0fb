// Package console is the moderator console: server-rendered HTML pages,
// served by aup under /console, over the same review desk as the JSON API.
// Moderators sign in with their key and work in a session: the queue,
// cases with their evidence, decisions by keyboard, appeals, a rules
// playground, the audit log and user lookup.
//
// Pages are html/template templates embedded in the binary; one small
// script adds keyboard shortcuts and the reveal button, and everything else
// works without it. Sessions live in the review store (so they survive a
// restart and are shared by instances), their cookie is HttpOnly,
// SameSite=Strict and Secure over TLS, and every form carries a CSRF token.
package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Screener screens a text for the rules playground.
type Screener interface {
	Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error)
}

// Authenticator checks a key a moderator signs in with (httpapi.Keyring).
type Authenticator interface {
	// Authenticate returns the key's name and role, or an error whose
	// message may be shown; in development mode it may accept any secret
	// from a loopback browser.
	Authenticate(r *http.Request, secret string) (name, role string, err error)
	// Has reports whether the key a session was opened with is still
	// configured with that role.
	Has(name, role string) bool
}

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 8 * time.Hour

// Config configures the console. Every field but SessionTTL, Logger and Now
// is required.
type Config struct {
	Desk     *review.Desk
	Screener Screener
	Keys     Authenticator
	// Sessions is where sessions are kept: the review store.
	Sessions   review.Store
	SessionTTL time.Duration
	// MaxTextBytes bounds the playground's text (the API's limit).
	MaxTextBytes int
	Logger       *slog.Logger
	Now          func() time.Time
}

// Console is the console's http.Handler.
type Console struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
	log   *slog.Logger
}

// Roles that may sign in (httpapi's).
const (
	roleModerator = "moderator"
	roleAdmin     = "admin"
)

// New returns the console.
func New(cfg Config) (*Console, error) {
	if cfg.Desk == nil || cfg.Screener == nil || cfg.Keys == nil || cfg.Sessions == nil {
		return nil, errors.New("console: Desk, Screener, Keys and Sessions are required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.MaxTextBytes <= 0 {
		cfg.MaxTextBytes = 64 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parsePages(cfg.Now)
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, mux: http.NewServeMux(), pages: pages, log: cfg.Logger}
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) { redirect(w, r, "/console/") })
	c.mux.HandleFunc("GET /console/login", c.loginPage)
	c.mux.HandleFunc("POST /console/login", c.login)
	c.mux.HandleFunc("POST /console/logout", c.signedIn(c.logout))
	c.mux.HandleFunc("GET /console/{$}", c.signedIn(c.queue))
	c.mux.HandleFunc("GET /console/queue", c.signedIn(c.queue))
	c.mux.HandleFunc("POST /console/claim", c.signedIn(c.claimNext))
	c.mux.HandleFunc("GET /console/cases/{id}", c.signedIn(c.casePage))
	c.mux.HandleFunc("POST /console/cases/{id}/claim", c.signedIn(c.claim))
	c.mux.HandleFunc("POST /console/cases/{id}/decide", c.signedIn(c.decide))
	c.mux.HandleFunc("GET /console/playground", c.signedIn(c.playground))
	c.mux.HandleFunc("POST /console/playground", c.signedIn(c.playground))
	c.mux.HandleFunc("GET /console/audit", c.signedIn(c.adminOnly(c.audit)))
	c.mux.HandleFunc("GET /console/users", c.signedIn(c.users))
	return c, nil
}

// maxFormBytes bounds a form: the playground's text, escaped, and a little.
func (c *Console) maxFormBytes() int64 { return int64(6*c.cfg.MaxTextBytes) + 4<<10 }

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Scripts and styles from aup itself only; no framing, no referrer.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" with the console's own forms.
	h.Set("Referrer-Policy", "same-origin")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, c.maxFormBytes())
		if !sameOrigin(r) {
			http.Error(w, "cross-origin form submission refused", http.StatusForbidden)
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// sameOrigin reports whether a POST comes from a page of this host, when
// the browser says where it comes from (SameSite=Strict and the CSRF token
// are the main defence; this refuses the rest early).
func sameOrigin(r *http.Request) bool {
	// Browsers label every request with where it comes from; behind a
	// reverse proxy that rewrites Host, that label is the one to trust.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := r.Header.Get("Origin")
	switch origin {
	case "":
		return true
	case "null":
		return false
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// page is what every page template gets.
type page struct {
	Title   string
	Session *session // nil on the sign-in page
	Flash   string
	Error   string
	Data    any
}

// render writes the named page with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := c.pages[name]
	if !ok {
		c.log.ErrorContext(r.Context(), "console: no such page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		c.log.ErrorContext(r.Context(), "console: rendering failed", append([]any{"page", name}, moderation.ErrorAttrs(err)...)...)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// fail renders the error page for err: its safe message and status.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status, msg := statusOf(err)
	if status == http.StatusInternalServerError {
		c.log.ErrorContext(r.Context(), "console request failed", append([]any{"path", r.URL.Path}, moderation.ErrorAttrs(err)...)...)
	}
	c.render(w, r, status, "error", page{Title: http.StatusText(status), Session: s, Error: msg})
}

// statusOf maps an error onto the API's HTTP status for its code and a
// message that is safe to show.
func statusOf(err error) (int, string) {
	status := httpapi.Status(moderation.ErrorCode(err))
	if status == http.StatusInternalServerError {
		return status, "internal error; the request id is in the server log"
	}
	return status, moderation.ErrorMessage(err)
}

// adminOnly restricts a page to admin sessions, as the API restricts the
// same data to admin keys.
func (c *Console) adminOnly(h func(http.ResponseWriter, *http.Request, *session)) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if s.Role != roleAdmin {
			c.render(w, r, http.StatusForbidden, "error", page{Title: "Forbidden", Session: s, Error: "the audit log is for admin keys"})
			return
		}
		h(w, r, s)
	}
}

// redirect sends the browser to path with 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// token returns n random bytes, URL-safe base64.
func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// equal compares secrets in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
