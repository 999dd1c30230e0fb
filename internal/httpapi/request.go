package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// MaxIDBytes is the longest user_id or content_id accepted.
const MaxIDBytes = 256

// checkRequest is the body of POST /v1/check and one item of a batch.
type checkRequest struct {
	Text      string `json:"text"`
	UserID    string `json:"user_id"`
	ContentID string `json:"content_id"`
}

// Validate checks the request against the API's rules; maxText is the
// longest text in bytes. Messages name the field. The body reader has
// already rejected invalid UTF-8.
func (r checkRequest) Validate(maxText int) error {
	if strings.TrimSpace(r.Text) == "" {
		return moderation.Errorf(moderation.EINVALID, "text is required")
	}
	if len(r.Text) > maxText {
		return moderation.Errorf(moderation.ETOOLARGE, "text is %d bytes; the limit is %d", len(r.Text), maxText)
	}
	if err := validateID("user_id", r.UserID); err != nil {
		return err
	}
	return validateID("content_id", r.ContentID)
}

func validateID(field, id string) error {
	if len(id) > MaxIDBytes {
		return moderation.Errorf(moderation.EINVALID, "%s is %d bytes; the limit is %d", field, len(id), MaxIDBytes)
	}
	for i, r := range id {
		if !unicode.IsPrint(r) {
			return moderation.Errorf(moderation.EINVALID, "%s must be printable text; found a control or non-printing character at byte %d", field, i)
		}
	}
	return nil
}

// content converts the request to the domain type.
func (r checkRequest) content() moderation.Content {
	return moderation.Content{Text: r.Text, UserID: r.UserID, ContentID: r.ContentID}
}

// batchRequest is the body of POST /v1/check/batch. It is decoded item by
// item (decodeBatch), so that errors name the item and an oversized item is
// refused before the rest is read.
type batchRequest struct {
	Items []checkRequest
}

// decodeBatch reads {"items":[...]} from dec, validating each item as soon
// as it is decoded.
func decodeBatch(dec *json.Decoder, maxItems, maxText int) (batchRequest, error) {
	var req batchRequest
	if err := expectDelim(dec, '{', "request body must be a JSON object"); err != nil {
		return req, err
	}
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return req, err
		}
		if name, _ := tok.(string); name != "items" {
			return req, moderation.Errorf(moderation.EINVALID, "unknown field %s", quoteField(name))
		}
		if seen {
			return req, moderation.Errorf(moderation.EINVALID, "items appears twice")
		}
		seen = true
		if tok, err = dec.Token(); err != nil {
			return req, err
		} else if tok == nil {
			continue // "items": null is the same as no items
		} else if tok != json.Delim('[') {
			return req, moderation.Errorf(moderation.EINVALID, "items: expected array, got %s", tokenKind(tok))
		}
		for dec.More() {
			i := len(req.Items)
			if i == maxItems {
				return req, moderation.Errorf(moderation.EINVALID, "items: at most %d items per request", maxItems)
			}
			prefix := fmt.Sprintf("items[%d]", i)
			var item checkRequest
			if err := dec.Decode(&item); err != nil {
				return req, jsonError(err, dec, prefix)
			}
			if err := item.Validate(maxText); err != nil {
				return req, prefixError(prefix+".", err)
			}
			req.Items = append(req.Items, item)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return req, err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return req, err
	}
	if len(req.Items) == 0 {
		return req, moderation.Errorf(moderation.EINVALID, "items is required: send 1 to %d items", maxItems)
	}
	return req, nil
}

func expectDelim(dec *json.Decoder, d json.Delim, message string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return moderation.Errorf(moderation.EINVALID, "%s", message)
	}
	return nil
}

// tokenKind names the JSON type of a token from json.Decoder.Token.
func tokenKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		if tok == json.Delim('{') {
			return "object"
		}
		return "array"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	}
	return "null"
}

// prefixError puts prefix in front of the message of a *moderation.Error.
func prefixError(prefix string, err error) error {
	var me *moderation.Error
	if errors.As(err, &me) {
		return &moderation.Error{Code: me.Code, Message: prefix + me.Message}
	}
	return err
}

// decodeJSON checks the Content-Type, caps the body at limit bytes, and
// runs decode over a decoder that streams from the body, rejects unknown
// fields and invalid UTF-8. It then rejects anything after the object.
// Errors are translated into *moderation.Error naming the problem.
func decodeJSON(c echo.Context, limit int64, decode func(*json.Decoder) error) error {
	r := c.Request()
	if err := checkContentType(r.Header.Get(echo.HeaderContentType)); err != nil {
		return err
	}
	if r.ContentLength > limit {
		return moderation.Errorf(moderation.ETOOLARGE, "request body is %d bytes; the limit for this endpoint is %d", r.ContentLength, limit)
	}
	body := &utf8Reader{r: http.MaxBytesReader(c.Response().Writer, r.Body, limit)}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := decode(dec); err != nil {
		return jsonError(err, dec, "")
	}
	if _, err := dec.Token(); err == nil {
		return moderation.Errorf(moderation.EINVALID, "unexpected data after the JSON object at offset %d", dec.InputOffset())
	} else if !errors.Is(err, io.EOF) {
		return jsonError(err, dec, "")
	}
	return nil
}

func checkContentType(ct string) error {
	const want = "Content-Type must be application/json"
	if ct == "" {
		return moderation.Errorf(codeUnsupportedMediaType, "%s", want)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return moderation.Errorf(codeUnsupportedMediaType, "%s", want)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return moderation.Errorf(codeUnsupportedMediaType, "%s with charset utf-8 (or no charset)", want)
	}
	return nil
}

// jsonError translates an error from decoding the body. prefix names the
// value being decoded ("" for the whole body, "items[3]" for an item).
func jsonError(err error, dec *json.Decoder, prefix string) error {
	var (
		me  *moderation.Error
		mbe *http.MaxBytesError
		ue  *utf8Error
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &me):
		return err
	case errors.As(err, &mbe):
		return moderation.Errorf(moderation.ETOOLARGE, "request body exceeds the limit of %d bytes for this endpoint", mbe.Limit)
	case errors.As(err, &ue):
		return moderation.Errorf(moderation.EINVALID, "request body is not valid UTF-8 (at byte %d)", ue.offset)
	case errors.Is(err, io.EOF) && prefix == "":
		return moderation.Errorf(moderation.EINVALID, "request body is empty; expected a JSON object")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return moderation.Errorf(moderation.EINVALID, "invalid JSON at offset %d: unexpected end of input", dec.InputOffset())
	case errors.As(err, &se):
		return moderation.Errorf(moderation.EINVALID, "invalid JSON at offset %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		if te.Field == "" {
			if prefix == "" {
				return moderation.Errorf(moderation.EINVALID, "request body must be a JSON object")
			}
			return moderation.Errorf(moderation.EINVALID, "%s must be a JSON object, got %s", prefix, te.Value)
		}
		field := te.Field
		if prefix != "" {
			field = prefix + "." + field
		}
		return moderation.Errorf(moderation.EINVALID, "%s: expected %s, got %s", field, kindName(te.Type), te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		msg := "unknown field " + shorten(name)
		if prefix != "" {
			msg = prefix + ": " + msg
		}
		return moderation.Errorf(moderation.EINVALID, "%s", msg)
	}
	// Anything else is a failed read: the client went away or sent a
	// broken chunked body.
	return moderation.Errorf(moderation.EINVALID, "could not read the request body")
}

// kindName names the JSON type that decodes into t.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// quoteField quotes a field name from the request for an error message,
// shortened so that a huge name is not sent back whole.
func quoteField(name string) string { return shorten(fmt.Sprintf("%q", name)) }

func shorten(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// utf8Reader passes a stream through, failing with *utf8Error at the first
// byte that is not valid UTF-8. encoding/json would otherwise replace such
// bytes with U+FFFD silently.
type utf8Reader struct {
	r       io.Reader
	off     int64   // bytes read so far
	carry   [4]byte // an incomplete sequence at the end of the last read
	ncarry  int
	invalid error
}

type utf8Error struct{ offset int64 }

func (e *utf8Error) Error() string { return fmt.Sprintf("invalid UTF-8 at byte %d", e.offset) }

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.invalid != nil {
		return 0, u.invalid
	}
	n, err := u.r.Read(p)
	if bad := u.check(p[:n]); bad >= 0 {
		u.invalid = &utf8Error{offset: bad}
		return 0, u.invalid
	}
	u.off += int64(n)
	if err == io.EOF && u.ncarry > 0 {
		u.invalid = &utf8Error{offset: u.off - int64(u.ncarry)}
		return 0, u.invalid
	}
	return n, err
}

// check validates b, which follows the bytes read so far, and returns the
// offset of the first invalid byte in the stream, or -1.
func (u *utf8Reader) check(b []byte) int64 {
	if u.ncarry == 0 && utf8.Valid(b) {
		return -1
	}
	i := 0
	for i < len(b) {
		if u.ncarry > 0 {
			u.carry[u.ncarry] = b[i]
			u.ncarry++
			i++
			if !utf8.FullRune(u.carry[:u.ncarry]) {
				continue
			}
			if r, size := utf8.DecodeRune(u.carry[:u.ncarry]); r == utf8.RuneError && size <= 1 {
				return u.off + int64(i-u.ncarry)
			}
			u.ncarry = 0
			continue
		}
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) {
			u.ncarry = copy(u.carry[:], b[i:])
			break
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return u.off + int64(i)
		}
		i += size
	}
	return -1
}
