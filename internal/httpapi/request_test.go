package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

// FuzzStrictCheck checks strictCheck against encoding/json: whatever it
// accepts, encoding/json decodes to the same request, and whatever it
// refuses is a 400 for a reason encoding/json would have overlooked (a field
// name in another case, a repeated field) or refused too.
func FuzzStrictCheck(f *testing.F) {
	for _, seed := range []string{
		`{"text":"hello","user_id":"u1","content_id":"n1"}`,
		`null`,
		` { "text" : "a\"b\\" , "user_id" : null } `,
		`{"t\u0065xt":"\u00e9\ud83d\ude00"}`,
		`{"TEXT":"a"}`,
		`{"text":"a","text":"b"}`,
		`{"text":"a","Text":"b"}`,
		`{"text":{"text":"x"}}`,
		`{"text":1e999}`,
		`{"text":["a"]}`,
		`{"user_id":true}`,
		`{}`,
		`[]`,
		`"text"`,
		`5`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // the json.Decoder refuses these before strictCheck sees them
		}
		var got strictCheck
		err := json.Unmarshal(data, &got)

		var want struct {
			Text      string `json:"text"`
			UserID    string `json:"user_id"`
			ContentID string `json:"content_id"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		wantErr := dec.Decode(&want)
		exact := bytes.Equal(bytes.TrimSpace(data), []byte("null")) || exactFields(data)

		if err != nil {
			var me *moderation.Error
			if !errors.As(err, &me) || me.Code != moderation.EINVALID {
				t.Fatalf("%q: error %v, want a *moderation.Error %s", data, err, moderation.EINVALID)
			}
			if wantErr == nil && exact {
				t.Fatalf("%q: refused (%v), but encoding/json decodes it and its field names are exact", data, err)
			}
			return
		}
		if wantErr != nil || !exact {
			t.Fatalf("%q: accepted, but encoding/json says %v and exact field names = %v", data, wantErr, exact)
		}
		if got.req != (checkRequest{Text: want.Text, UserID: want.UserID, ContentID: want.ContentID}) {
			t.Fatalf("%q: decoded %+v, encoding/json %+v", data, got.req, want)
		}
	})
}

// exactFields reports whether data is a JSON object whose keys are each a
// field name of checkRequest, exactly and once.
func exactFields(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	var seen []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		name := tok.(string)
		if !slices.Contains(checkFields, name) || slices.Contains(seen, name) {
			return false
		}
		seen = append(seen, name)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return true
}
