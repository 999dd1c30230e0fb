package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// Roles a Key can have. Admin may call every endpoint.
const (
	RoleBackend   = "backend"   // the product's backend: screening (and reports)
	RoleModerator = "moderator" // human moderators: the review endpoints
	RoleAdmin     = "admin"     // operators: everything, including rule reloads
	RoleMetrics   = "metrics"   // Prometheus: GET /metrics and nothing else
)

// MinSecretLen is the shortest secret a Key may have.
const MinSecretLen = 16

const maxKeyNameLen = 64

// Key is an API key: a name for logs and error messages, a role, and the
// secret callers send as "Authorization: Bearer <secret>".
type Key struct {
	Name   string
	Role   string
	Secret string
}

// String describes k with its secret masked, so that a Key printed or logged
// by accident does not leak; LogValue and MarshalJSON do the same.
func (k Key) String() string { return k.Name + ":" + k.Role + ":****" }

// LogValue logs k with its secret masked.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", k.Name), slog.String("role", k.Role))
}

// MarshalJSON encodes k without its secret.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}{k.Name, k.Role})
}

// ParseKeys parses API keys written as "name:role:secret,name:role:secret",
// as found in AUP_API_KEYS. Whitespace around entries is ignored; an empty
// string yields no keys (development mode). Errors say which entry to fix and
// never contain a secret.
func ParseKeys(s string) ([]Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var keys []Key
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("API key %d is empty; remove the extra comma", i+1)
		}
		parts := strings.SplitN(entry, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("API key %d is not name:role:secret", i+1)
		}
		keys = append(keys, Key{Name: parts[0], Role: parts[1], Secret: parts[2]})
	}
	if err := validateKeys(keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// validateKeys checks keys the same way whether they come from ParseKeys or
// from a Config built in code.
func validateKeys(keys []Key) error {
	names := make(map[string]int, len(keys))
	secrets := make(map[[sha256.Size]byte]int, len(keys))
	for i, k := range keys {
		n := i + 1
		if !validKeyName(k.Name) {
			return fmt.Errorf("API key %d: the name must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' or '-'", n, maxKeyNameLen)
		}
		switch k.Role {
		case RoleBackend, RoleModerator, RoleAdmin, RoleMetrics:
		default:
			// The role is not echoed: with a mistyped entry it may be the secret.
			return fmt.Errorf("API key %d (%s): the role must be %s, %s or %s, or %s for a key that may only scrape /metrics", n, k.Name, RoleBackend, RoleModerator, RoleAdmin, RoleMetrics)
		}
		if len(k.Secret) < MinSecretLen {
			return fmt.Errorf("API key %d (%s): the secret must be at least %d characters", n, k.Name, MinSecretLen)
		}
		for j := 0; j < len(k.Secret); j++ {
			if c := k.Secret[j]; c <= ' ' || c > '~' || c == ',' {
				return fmt.Errorf("API key %d (%s): the secret may only contain printable ASCII without spaces or commas", n, k.Name)
			}
		}
		if prev, ok := names[k.Name]; ok {
			return fmt.Errorf("API key %d: the name %s is already used by key %d", n, k.Name, prev)
		}
		names[k.Name] = n
		h := sha256.Sum256([]byte(k.Secret))
		if prev, ok := secrets[h]; ok {
			return fmt.Errorf("API keys %d and %d have the same secret; give each key its own", prev, n)
		}
		secrets[h] = n
	}
	return nil
}

func validKeyName(s string) bool {
	if s == "" || len(s) > maxKeyNameLen {
		return false
	}
	for _, c := range []byte(s) {
		if !isIDByte(c) && c != '.' {
			return false
		}
	}
	return true
}

// isIDByte reports whether c is one of [A-Za-z0-9_-].
func isIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// hashedKey is a Key as the server holds it: the secret only as a hash, so
// that comparisons take the same time whatever the secret's length.
type hashedKey struct {
	name, role string
	hash       [sha256.Size]byte
}

// Keyring checks callers' keys: the API's bearer keys, and the key a
// moderator signs in to the console with. It is safe for concurrent use.
type Keyring struct{ keys []hashedKey }

// NewKeyring returns a Keyring of keys; none means development mode.
func NewKeyring(keys []Key) *Keyring {
	hk := make([]hashedKey, len(keys))
	for i, k := range keys {
		hk[i] = hashedKey{name: k.Name, role: k.Role, hash: sha256.Sum256([]byte(k.Secret))}
	}
	return &Keyring{keys: hk}
}

// Authenticate returns the name and role of the key secret, for request r.
// Without keys (development mode) a direct loopback caller is admin
// whatever it sends and everyone else is refused. Errors are
// *moderation.Error EUNAUTHORIZED with a message for the caller; they never
// contain the secret.
func (k *Keyring) Authenticate(r *http.Request, secret string) (name, role string, err error) {
	if len(k.keys) == 0 {
		if !isLoopback(r.RemoteAddr) {
			return "", "", moderation.Errorf(moderation.EUNAUTHORIZED, "aup runs without API keys; only loopback clients are accepted; set AUP_API_KEYS")
		}
		// A page on another site whose name was rebound to 127.0.0.1 (DNS
		// rebinding) reaches a loopback peer too, under its own Host.
		if !loopbackHost(r.Host) {
			return "", "", moderation.Errorf(moderation.EUNAUTHORIZED, "aup runs without API keys; only requests to localhost or a loopback address are accepted; set AUP_API_KEYS")
		}
		// Behind a proxy on the same host every request comes from
		// loopback; a forwarding header gives that away.
		for _, h := range proxyHeaders {
			if r.Header.Get(h) != "" {
				return "", "", moderation.Errorf(moderation.EUNAUTHORIZED, "aup runs without API keys; only direct loopback clients are accepted and this request came through a proxy (%s); set AUP_API_KEYS", h)
			}
		}
		return devKeyName, RoleAdmin, nil
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	match := -1
	for i := range k.keys {
		// No early exit: every request costs the same number of comparisons.
		if subtle.ConstantTimeCompare(sum[:], k.keys[i].hash[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return "", "", moderation.Errorf(moderation.EUNAUTHORIZED, "invalid API key")
	}
	return k.keys[match].name, k.keys[match].role, nil
}

// DevelopmentMode reports whether there are no keys.
func (k *Keyring) DevelopmentMode() bool { return len(k.keys) == 0 }

// Has reports whether a key named name with role is still configured: a
// console session lives only as long as the key it was opened with.
func (k *Keyring) Has(name, role string) bool {
	if len(k.keys) == 0 {
		return name == devKeyName && role == RoleAdmin
	}
	return slices.ContainsFunc(k.keys, func(h hashedKey) bool { return h.name == name && h.role == role })
}

// devKeyName is the key name logged for loopback callers in development mode.
const devKeyName = "dev-loopback"

// Echo context key holding the caller's key name, read by the access log.
const keyNameKey = "aup.key_name"

// require returns middleware that lets through callers whose key has one of
// roles, or is admin, and is within its rate limit.
func (s *Server) require(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			name, role, err := s.authenticate(c)
			if err != nil {
				return err
			}
			c.Set(keyNameKey, name)
			if err := s.rateLimit(c, name); err != nil {
				return err
			}
			if role != RoleAdmin && !slices.Contains(roles, role) {
				return moderation.Errorf(moderation.EFORBIDDEN, "key '%s' (role %s) may not call %s %s", name, role, c.Request().Method, c.Path())
			}
			return next(c)
		}
	}
}

// authenticate returns the name and role of the caller's bearer key.
func (s *Server) authenticate(c echo.Context) (name, role string, err error) {
	r := c.Request()
	if s.keys.DevelopmentMode() {
		return s.keys.Authenticate(r, "")
	}
	h := r.Header.Get(echo.HeaderAuthorization)
	if h == "" {
		return "", "", moderation.Errorf(moderation.EUNAUTHORIZED, "missing API key; send Authorization: Bearer <key>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", "", moderation.Errorf(moderation.EUNAUTHORIZED, "the Authorization header must use the Bearer scheme")
	}
	return s.keys.Authenticate(r, token)
}

// proxyHeaders are the headers a reverse proxy adds.
var proxyHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"}

// loopbackHost reports whether a Host header names this machine:
// localhost or a loopback address, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// isLoopback reports whether the network peer address is a loopback address.
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
