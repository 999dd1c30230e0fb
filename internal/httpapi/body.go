package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// maxBodyBytes caps the bodies of the review endpoints that carry no note
// text; those that do add the text limit.
const maxBodyBytes = 64 << 10

// decodeBody decodes the request body, a JSON object, into dst, a pointer to
// a struct, as strictly as the check endpoint does: field names must match a
// json tag exactly, appear once, and be known. A missing or empty body
// decodes as {} when emptyOK; one sent chunked (with no length) still needs
// the JSON Content-Type.
func decodeBody(c echo.Context, limit int64, dst any, emptyOK bool) error {
	r := c.Request()
	if emptyOK && r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(c, limit, func(dec *json.Decoder, _ *itemBudget) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if emptyOK && errors.Is(err, io.EOF) {
				return nil // nothing but whitespace
			}
			return err
		}
		return strictUnmarshal(raw, dst)
	})
}

// strictUnmarshal checks the top-level field names of the object raw against
// dst's json tags, then decodes it.
func strictUnmarshal(raw []byte, dst any) error {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return moderation.Errorf(moderation.EINVALID, "request body must be a JSON object")
	}
	fields := jsonFields(reflect.TypeOf(dst).Elem())
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return err
	}
	var seen []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if !slices.Contains(fields, name) {
			return unknownField("", name, fields)
		}
		if slices.Contains(seen, name) {
			return moderation.Errorf(moderation.EINVALID, "duplicate field %s", quoteField(name))
		}
		seen = append(seen, name)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return typeError(reflect.TypeOf(dst).Elem(), te)
		}
		return err
	}
	return nil
}

// typeError names the field of t whose value has the wrong JSON type, and
// what was expected: an item of an array field is named as such, since
// encoding/json reports only the field.
func typeError(t reflect.Type, te *json.UnmarshalTypeError) error {
	got := shorten(te.Value) // "number 1.5": a long number is not sent back whole
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == te.Field && f.Type.Kind() == reflect.Slice && f.Type != te.Type {
			return moderation.Errorf(moderation.EINVALID, "%s: each item must be %s, got %s", te.Field, withArticle(jsonKind(te.Type)), got)
		}
	}
	return moderation.Errorf(moderation.EINVALID, "%s: expected %s, got %s", te.Field, jsonKind(te.Type), got)
}

func withArticle(kind string) string {
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// jsonFields returns the JSON names of t's fields.
func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	}
	return "number"
}
