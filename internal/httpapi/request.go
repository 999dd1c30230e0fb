package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// MaxIDBytes is the longest user_id or content_id accepted.
const MaxIDBytes = 256

// checkRequest is the body of POST /v1/check and one item of a batch. It is
// decoded by strictCheck; field gives its JSON names.
type checkRequest struct {
	Text      string
	UserID    string
	ContentID string
}

// checkFields are the JSON names of checkRequest's fields.
var checkFields = []string{"text", "user_id", "content_id"}

// field returns the field whose JSON name is exactly name, or nil.
func (r *checkRequest) field(name string) *string {
	switch name {
	case "text":
		return &r.Text
	case "user_id":
		return &r.UserID
	case "content_id":
		return &r.ContentID
	}
	return nil
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

// strictCheck decodes a checkRequest more strictly than encoding/json would:
// field names must match exactly (encoding/json ignores case) and may appear
// once (encoding/json keeps the last), so that neither {"TEXT":...} nor a
// second "text" can slip past what the caller meant. null decodes as {}.
type strictCheck struct {
	req    checkRequest
	prefix string // names the value in errors: "" for the body, "items[3]" for an item
}

// UnmarshalJSON reads one JSON value, which the json.Decoder has already
// checked is well-formed; it stops at the first field in error.
func (s *strictCheck) UnmarshalJSON(data []byte) error {
	s.req = checkRequest{}
	i := skipSpace(data, 0)
	switch data[i] {
	case 'n':
		return nil
	case '{':
	default:
		if s.prefix == "" {
			return moderation.Errorf(moderation.EINVALID, "request body must be a JSON object")
		}
		return moderation.Errorf(moderation.EINVALID, "%s must be a JSON object, got %s", s.prefix, kindAt(data, i))
	}
	seen := make([]string, 0, len(checkFields))
	for i = skipSpace(data, i+1); data[i] != '}'; {
		end := stringEnd(data, i)
		var name string
		if err := json.Unmarshal(data[i:end], &name); err != nil {
			return moderation.Errorf(moderation.EINTERNAL, "decode a field name: %v", err)
		}
		dst := s.req.field(name)
		if dst == nil {
			return unknownField(s.prefix, name, checkFields)
		}
		if slices.Contains(seen, name) {
			return moderation.Errorf(moderation.EINVALID, "%sduplicate field %s", withColon(s.prefix), quoteField(name))
		}
		seen = append(seen, name)
		i = skipSpace(data, skipSpace(data, end)+1) // past the colon
		switch data[i] {
		case '"':
			end = stringEnd(data, i)
			if err := json.Unmarshal(data[i:end], dst); err != nil {
				return moderation.Errorf(moderation.EINTERNAL, "decode %s: %v", name, err)
			}
			i = end
		case 'n':
			i += len("null")
		default:
			if s.prefix != "" {
				name = s.prefix + "." + name
			}
			return moderation.Errorf(moderation.EINVALID, "%s: expected string, got %s", name, kindAt(data, i))
		}
		if i = skipSpace(data, i); data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return nil
}

// unknownField is the error for a field name that is not one of known.
func unknownField(prefix, name string, known []string) error {
	msg := withColon(prefix) + "unknown field " + quoteField(name)
	if slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, name) }) {
		msg += "; fields are case-sensitive"
	}
	return moderation.Errorf(moderation.EINVALID, "%s", msg)
}

// withColon returns "items[3]: " for the prefix "items[3]", and "" for "".
func withColon(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + ": "
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the well-formed JSON string that
// starts at data[i].
func stringEnd(data []byte, i int) int {
	for i++; data[i] != '"'; i++ {
		if data[i] == '\\' {
			i++ // the escaped byte; the rest of a \uXXXX escape is hex digits
		}
	}
	return i + 1
}

// kindAt names the JSON type of the well-formed value at data[i].
func kindAt(data []byte, i int) string {
	switch data[i] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// batchRequest is the body of POST /v1/check/batch. It is decoded item by
// item (decodeBatch), so that errors name the item and an oversized item is
// refused before the rest is read.
type batchRequest struct {
	Items []checkRequest
}

// decodeBatch reads {"items":[...]} from dec, validating each item as soon
// as it is decoded.
func decodeBatch(dec *json.Decoder, budget *itemBudget, itemLimit int64, maxItems, maxText int) (batchRequest, error) {
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
			return req, unknownField("", name, []string{"items"})
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
			item := strictCheck{prefix: prefix}
			budget.start(prefix, itemLimit)
			err := dec.Decode(&item)
			budget.stop()
			if err != nil {
				return req, jsonError(err, dec, prefix)
			}
			if err := item.req.Validate(maxText); err != nil {
				return req, prefixError(prefix+".", err)
			}
			req.Items = append(req.Items, item.req)
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
		return "bool"
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
// runs decode over a decoder that streams from the body and rejects invalid
// UTF-8. It then rejects anything after the object. Errors are translated
// into *moderation.Error naming the problem.
func decodeJSON(c echo.Context, limit int64, decode func(*json.Decoder, *itemBudget) error) error {
	r := c.Request()
	if err := checkContentType(r.Header.Get(echo.HeaderContentType)); err != nil {
		return err
	}
	if r.ContentLength > limit {
		return moderation.Errorf(moderation.ETOOLARGE, "request body is %d bytes; the limit for this endpoint is %d", r.ContentLength, limit)
	}
	budget := &itemBudget{r: &utf8Reader{r: http.MaxBytesReader(c.Response().Writer, r.Body, limit)}}
	dec := json.NewDecoder(budget)
	dec.UseNumber() // Token reports 1e999 as a number, not as a float64 overflow
	if err := decode(dec, budget); err != nil {
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
	)
	switch {
	case errors.As(err, &me):
		return err
	case errors.As(err, &mbe):
		return moderation.Errorf(moderation.ETOOLARGE, "request body exceeds the limit of %d bytes for this endpoint", mbe.Limit)
	case errors.As(err, &ue):
		return moderation.Errorf(moderation.EINVALID, "request body is not valid UTF-8 (at byte %d)", ue.offset)
	case errors.Is(err, io.EOF) && prefix == "" && dec.InputOffset() == 0:
		// The decoder consumed nothing: the body is empty or only whitespace.
		return moderation.Errorf(moderation.EINVALID, "request body is empty; expected a JSON object")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The body ended inside a value; report where it ended.
		rest, _ := io.Copy(io.Discard, dec.Buffered())
		return moderation.Errorf(moderation.EINVALID, "invalid JSON at offset %d: unexpected end of input", dec.InputOffset()+rest)
	case errors.As(err, &se):
		return moderation.Errorf(moderation.EINVALID, "invalid JSON at offset %d: %s", se.Offset, se.Error())
	}
	// Anything else is a failed read: the client went away or sent a
	// broken chunked body.
	return moderation.Errorf(moderation.EINVALID, "could not read the request body")
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

// itemBudget bounds the bytes read from a body while one batch item is
// decoded. The decoder holds a whole item in memory before it can refuse
// it, so without a budget one oversized item could hold the whole batch
// limit; with it an item costs at most about twice the single-check limit
// (its own bytes and the decoder's read-ahead).
type itemBudget struct {
	r     io.Reader
	on    bool
	left  int64
	item  string
	limit int64
}

func (b *itemBudget) start(item string, limit int64) {
	b.on, b.item, b.limit, b.left = true, item, limit, limit
}

func (b *itemBudget) stop() { b.on = false }

func (b *itemBudget) Read(p []byte) (int, error) {
	if !b.on {
		return b.r.Read(p)
	}
	if b.left <= 0 {
		return 0, moderation.Errorf(moderation.ETOOLARGE, "%s is larger than %d bytes, the limit for one check", b.item, b.limit)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}
