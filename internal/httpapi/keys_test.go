package httpapi_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/httpapi"
)

func TestParseKeys(t *testing.T) {
	const (
		s1 = "s3cret-0123456789abcdef"
		s2 = "other-fedcba9876543210"
	)
	tests := []struct {
		name    string
		in      string
		want    []httpapi.Key
		wantErr string // part of the error; "" for success
		secret  string // must not appear in the error
	}{
		{name: "empty", in: "", want: nil},
		{name: "blank", in: " \n ", want: nil},
		{name: "one", in: "web:backend:" + s1, want: []httpapi.Key{{Name: "web", Role: "backend", Secret: s1}}},
		{name: "two with spaces and a newline", in: " web:backend:" + s1 + " ,\n ops:admin:" + s2 + "\n",
			want: []httpapi.Key{{Name: "web", Role: "backend", Secret: s1}, {Name: "ops", Role: "admin", Secret: s2}}},
		{name: "moderator", in: "mods:moderator:" + s1, want: []httpapi.Key{{Name: "mods", Role: "moderator", Secret: s1}}},
		{name: "colon in secret", in: "web:backend:abc:" + s1, want: []httpapi.Key{{Name: "web", Role: "backend", Secret: "abc:" + s1}}},
		{name: "missing role", in: "web:" + s1, wantErr: "API key 1 is not name:role:secret", secret: s1},
		{name: "secret only", in: s1, wantErr: "API key 1 is not name:role:secret", secret: s1},
		{name: "unknown role", in: "web:root:" + s1, wantErr: "API key 1 (web): the role must be backend, moderator or admin", secret: s1},
		{name: "secret in role place", in: "web:" + s1 + ":x", wantErr: "role must be", secret: s1},
		{name: "short secret", in: "web:backend:s3cr3t-15-chars", wantErr: "at least 16 characters", secret: "s3cr3t-15-chars"},
		{name: "space in secret", in: "web:backend:s3cret 0123456789abcdef", wantErr: "printable ASCII", secret: "s3cret 0123456789abcdef"},
		{name: "empty name", in: ":backend:" + s1, wantErr: "API key 1: the name must be", secret: s1},
		{name: "bad name", in: "my key:backend:" + s1, wantErr: "the name must be", secret: s1},
		{name: "empty entry", in: "web:backend:" + s1 + ",,ops:admin:" + s2, wantErr: "API key 2 is empty", secret: s1},
		{name: "trailing comma", in: "web:backend:" + s1 + ",", wantErr: "API key 2 is empty", secret: s1},
		{name: "duplicate name", in: "web:backend:" + s1 + ",web:admin:" + s2, wantErr: "API key 2: the name web is already used by key 1", secret: s2},
		{name: "duplicate secret", in: "web:backend:" + s1 + ",ops:admin:" + s1, wantErr: "API keys 1 and 2 have the same secret", secret: s1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := httpapi.ParseKeys(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseKeys: %v", err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("ParseKeys = %#v, want %#v", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseKeys = %v, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestKeyDoesNotPrintItsSecret(t *testing.T) {
	k := httpapi.Key{Name: "web", Role: "backend", Secret: "s3cret-0123456789abcdef"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "key", k, "keys", []httpapi.Key{k})
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %s", k, k, k), fmt.Sprint([]httpapi.Key{k}), logs.String()} {
		if strings.Contains(out, k.Secret) {
			t.Errorf("output contains the secret: %s", out)
		}
	}
}

func TestKeyringHas(t *testing.T) {
	k := httpapi.NewKeyring([]httpapi.Key{{Name: "alice", Role: "moderator", Secret: "alice-key-0123456789"}})
	for _, tc := range []struct {
		name, role string
		want       bool
	}{{"alice", "moderator", true}, {"alice", "admin", false}, {"bob", "moderator", false}} {
		if got := k.Has(tc.name, tc.role); got != tc.want {
			t.Errorf("Has(%s, %s) = %v", tc.name, tc.role, got)
		}
	}
	if dev := httpapi.NewKeyring(nil); !dev.Has("dev-loopback", "admin") || dev.Has("alice", "moderator") {
		t.Error("development mode: only the loopback admin")
	}
}
