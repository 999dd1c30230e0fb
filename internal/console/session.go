package console

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// Cookies of the console. Both are HttpOnly and SameSite=Strict.
const (
	sessionCookie = "aup_console"       // the session id
	loginCookie   = "aup_console_login" // the sign-in form's CSRF token
)

// session is a signed-in moderator. The store holds it under a hash of its
// id, so that reading the store does not yield a usable cookie.
type session struct {
	Name    string    `json:"name"` // the key's name: the moderator of record
	Role    string    `json:"role"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return "console:session:" + hex.EncodeToString(h[:])
}

// startSession stores a new session and sets its cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, name, role string) error {
	id := token(32)
	s := session{Name: name, Role: role, CSRF: token(32), Expires: c.cfg.Now().Add(c.cfg.SessionTTL)}
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := c.cfg.Sessions.Update(r.Context(), func(tx review.Tx) error {
		tx.Put(sessionKey(id), data, c.cfg.SessionTTL)
		return nil
	}); err != nil {
		return err
	}
	setCookie(w, r, sessionCookie, id, c.cfg.SessionTTL)
	return nil
}

// session returns the request's session, or nil when it has none that is
// in force.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if errors.Is(err, http.ErrNoCookie) || err == nil && (ck.Value == "" || len(ck.Value) > 64) {
		return nil, nil // no session, or not one of ours
	} else if err != nil {
		return nil, err
	}
	data, ok, err := c.cfg.Sessions.Get(r.Context(), sessionKey(ck.Value))
	if err != nil || !ok {
		return nil, err
	}
	var s session
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	if !c.cfg.Now().Before(s.Expires) || !c.cfg.Keys.Has(s.Name, s.Role) {
		return nil, nil // expired, or its key was removed or changed role
	}
	return &s, nil
}

// endSession deletes the request's session and its cookie.
func (c *Console) endSession(w http.ResponseWriter, r *http.Request) error {
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := c.cfg.Sessions.Update(r.Context(), func(tx review.Tx) error {
			tx.Delete(sessionKey(ck.Value))
			return nil
		}); err != nil {
			return err
		}
	}
	setCookie(w, r, sessionCookie, "", -1)
	return nil
}

// setCookie sets a console cookie; maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name: name, Value: value, Path: "/console",
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
	}
	if maxAge < 0 {
		ck.MaxAge = -1
	} else {
		ck.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, ck)
}

// signedIn wraps a page that needs a session: without one, the browser is
// sent to sign in; a POST must carry the session's CSRF token.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := c.session(r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if s == nil {
			redirect(w, r, "/console/login")
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				c.render(w, r, http.StatusRequestEntityTooLarge, "error", page{Title: "Too large", Session: s, Error: "the form is too large"})
				return
			}
			if !equal(r.PostForm.Get("csrf"), s.CSRF) {
				c.render(w, r, http.StatusForbidden, "error", page{Title: "Forbidden", Session: s,
					Error: "the form's security token is missing or stale; reload the page and try again"})
				return
			}
		}
		h(w, r, s)
	}
}

// loginPage shows the sign-in form with a fresh CSRF token in a cookie.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if s, _ := c.session(r); s != nil {
		redirect(w, r, "/console/")
		return
	}
	c.renderLogin(w, r, http.StatusOK, "")
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	csrf := token(32)
	setCookie(w, r, loginCookie, csrf, 30*time.Minute)
	c.render(w, r, status, "login", page{Title: "Sign in", Error: msg, Data: csrf})
}

// login signs a moderator or admin in with their key.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.renderLogin(w, r, http.StatusRequestEntityTooLarge, "the form is too large")
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !equal(ck.Value, r.PostForm.Get("csrf")) {
		c.renderLogin(w, r, http.StatusForbidden, "the sign-in form expired; try again")
		return
	}
	name, role, err := c.cfg.Keys.Authenticate(r, r.PostForm.Get("key"))
	if err != nil {
		c.log.InfoContext(r.Context(), "console sign-in refused", "remote", r.RemoteAddr)
		c.renderLogin(w, r, http.StatusUnauthorized, moderation.ErrorMessage(err))
		return
	}
	if !slices.Contains([]string{roleModerator, roleAdmin}, role) {
		c.log.InfoContext(r.Context(), "console sign-in refused: role", "key", name, "role", role, "remote", r.RemoteAddr)
		c.renderLogin(w, r, http.StatusForbidden, "key '"+name+"' has role "+role+"; the console is for moderator and admin keys")
		return
	}
	if err := c.startSession(w, r, name, role); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	setCookie(w, r, loginCookie, "", -1)
	c.log.InfoContext(r.Context(), "console sign-in", "key", name, "role", role)
	redirect(w, r, "/console/")
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.endSession(w, r); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.log.InfoContext(r.Context(), "console sign-out", "key", s.Name)
	redirect(w, r, "/console/login")
}
