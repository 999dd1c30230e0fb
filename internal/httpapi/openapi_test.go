package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/review"
)

// The OpenAPI document, openapi.yaml, is checked three ways: on its own
// (every reference resolves, every operation is complete), against the
// routes the server registers (none missing, none extra), and against real
// answers, each validated with the JSON Schema of its operation and status.

// docURL names the document for the JSON Schema compiler; nothing is fetched.
const docURL = "https://aup.invalid/openapi.json"

// apiDoc is the OpenAPI document, parsed, with a JSON Schema 2020-12
// compiler over it (OpenAPI 3.1's schemas are JSON Schema 2020-12).
type apiDoc struct {
	root     map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer
}

func loadAPIDoc(t testing.TB) *apiDoc {
	t.Helper()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return parseAPIDoc(t, raw)
}

func parseAPIDoc(t testing.TB, raw []byte) *apiDoc {
	t.Helper()
	var y any
	if err := yaml.Unmarshal(raw, &y); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	j, err := json.Marshal(y)
	if err != nil {
		t.Fatalf("openapi.yaml has no JSON form (quote keys such as status codes): %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		t.Fatal("openapi.yaml is not a mapping")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, v); err != nil {
		t.Fatal(err)
	}
	return &apiDoc{root: root, compiler: c, schemas: map[string]*jsonschema.Schema{}}
}

var (
	pointerEscape   = strings.NewReplacer("~", "~0", "/", "~1")
	pointerUnescape = strings.NewReplacer("~1", "/", "~0", "~")
)

// pointer joins tokens into a JSON pointer.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerEscape.Replace(tok))
	}
	return b.String()
}

// lookup returns the value at the JSON pointer ptr, or nil.
func (d *apiDoc) lookup(ptr string) any {
	var v any = d.root
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = pointerUnescape.Replace(tok)
		switch n := v.(type) {
		case map[string]any:
			v = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			v = n[i]
		default:
			return nil
		}
	}
	return v
}

// deref follows the $ref of the object at ptr (a response, header or
// parameter) and returns the pointer and the object it names.
func (d *apiDoc) deref(ptr string) (string, map[string]any) {
	for range 8 {
		m, _ := d.lookup(ptr).(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return ptr, m
		}
		ptr = strings.TrimPrefix(ref, "#")
	}
	return ptr, nil
}

// schema compiles the schema at ptr.
func (d *apiDoc) schema(t testing.TB, ptr string) *jsonschema.Schema {
	t.Helper()
	if s, ok := d.schemas[ptr]; ok {
		return s
	}
	s, err := d.compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		t.Fatalf("compile the schema at %s: %v", ptr, err)
	}
	d.schemas[ptr] = s
	return s
}

// operation is one method of one path of the document.
type operation struct {
	method string // upper case
	path   string // the document's template, /v1/reports/{id}
	ptr    string // of the Operation Object
	op     map[string]any
}

var docMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations returns the document's operations, by path and method.
func (d *apiDoc) operations() []operation {
	paths, _ := d.root["paths"].(map[string]any)
	var ops []operation
	for path, item := range paths {
		item, _ := item.(map[string]any)
		for _, m := range docMethods {
			if op, ok := item[m].(map[string]any); ok {
				ops = append(ops, operation{method: strings.ToUpper(m), path: path, ptr: pointer("paths", path, m), op: op})
			}
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return ops
}

func (d *apiDoc) operation(method, path string) (operation, bool) {
	ptr := pointer("paths", path, strings.ToLower(method))
	op, ok := d.lookup(ptr).(map[string]any)
	return operation{method: method, path: path, ptr: ptr, op: op}, ok
}

// roles returns the operation's x-aup-roles.
func (o operation) roles() []string {
	var roles []string
	list, _ := o.op["x-aup-roles"].([]any)
	for _, r := range list {
		s, _ := r.(string)
		roles = append(roles, s)
	}
	return roles
}

// statuses returns the statuses the operation documents, in order.
func (o operation) statuses() []int {
	responses, _ := o.op["responses"].(map[string]any)
	var out []int
	for k := range responses {
		n, _ := strconv.Atoi(k)
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// checkResponse checks res, the answer to method on the document's path,
// against the document: the status is one the operation lists, the headers
// the document requires are there and well-formed, and the body has a
// documented media type and matches that media type's schema.
func (d *apiDoc) checkResponse(t *testing.T, method, path string, res response) {
	t.Helper()
	where := fmt.Sprintf("%s %s %d", method, path, res.status)
	op, ok := d.operation(method, path)
	if !ok {
		t.Errorf("%s: the document has no such operation", where)
		return
	}
	rptr, r := d.deref(op.ptr + pointer("responses", strconv.Itoa(res.status)))
	if r == nil {
		t.Errorf("%s: the document does not list this status; body %s", where, res.body)
		return
	}
	headers, _ := r["headers"].(map[string]any)
	for name := range headers {
		hptr, h := d.deref(rptr + pointer("headers", name))
		v := res.header.Get(name)
		if v == "" {
			if h["required"] == true {
				t.Errorf("%s: no %s header", where, name)
			}
			continue
		}
		var inst any = v
		if typ, _ := d.lookup(hptr + "/schema/type").(string); typ == "integer" {
			inst = json.Number(v)
			if _, err := strconv.Atoi(v); err != nil {
				inst = v
			}
		}
		if err := d.schema(t, hptr+"/schema").Validate(inst); err != nil {
			t.Errorf("%s: header %s: %q does not match the document: %v", where, name, v, err)
		}
	}
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(res.body) > 0 {
			t.Errorf("%s: a body where the document has none: %s", where, res.body)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(res.header.Get("Content-Type"))
	if _, ok := content[mt]; !ok {
		t.Errorf("%s: Content-Type %q is not one the document lists", where, res.header.Get("Content-Type"))
		return
	}
	mptr := rptr + pointer("content", mt)
	switch {
	case mt == "application/json":
		d.validate(t, where, mptr+"/schema", res.body)
	case mt == "application/x-ndjson" && len(res.body) > 0:
		for i, line := range bytes.Split(bytes.TrimSuffix(res.body, []byte("\n")), []byte("\n")) {
			d.validate(t, fmt.Sprintf("%s, line %d", where, i+1), mptr+"/x-item-schema", line)
		}
	}
}

// checkRequest checks a JSON body the server accepted against the schema
// of the operation's request body.
func (d *apiDoc) checkRequest(t *testing.T, method, path string, body []byte) {
	t.Helper()
	op, _ := d.operation(method, path)
	ptr := op.ptr + pointer("requestBody", "content", "application/json", "schema")
	if d.lookup(ptr) == nil {
		t.Errorf("%s %s takes a JSON body the document does not describe", method, path)
		return
	}
	d.validate(t, method+" "+path+" request", ptr, body)
}

func (d *apiDoc) validate(t *testing.T, where, ptr string, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s: the body is not JSON: %v: %s", where, err, body)
		return
	}
	if err := d.schema(t, ptr).Validate(v); err != nil {
		t.Errorf("%s: the body does not match the document: %v\nbody: %s", where, err, body)
	}
}

var (
	roleNames  = []string{httpapi.RoleBackend, httpapi.RoleModerator, httpapi.RoleMetrics, httpapi.RoleAdmin}
	pathParam  = regexp.MustCompile(`\{([^}]+)\}`)
	echoParam  = regexp.MustCompile(`:([A-Za-z_]+)`)
	bodyErrors = []int{400, 413, 415}
)

// TestOpenAPIDocument checks the document on its own: every schema
// compiles, every reference resolves, and every operation has an id, its
// roles, its path parameters and the error answers its shape implies.
func TestOpenAPIDocument(t *testing.T) {
	d := loadAPIDoc(t)
	if v := d.root["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	schemas, _ := d.lookup("/components/schemas").(map[string]any)
	for name := range schemas {
		d.schema(t, pointer("components", "schemas", name))
	}
	var refs func(ptr string, v any)
	refs = func(ptr string, v any) {
		switch n := v.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok && (!strings.HasPrefix(ref, "#/") || d.lookup(ref[1:]) == nil) {
				t.Errorf("%s: $ref %s does not resolve", ptr, ref)
			}
			for k, e := range n {
				refs(ptr+pointer(k), e)
			}
		case []any:
			for i, e := range n {
				refs(ptr+pointer(strconv.Itoa(i)), e)
			}
		}
	}
	refs("", d.root)

	// Objects are closed (additionalProperties: false), as the Go structs
	// behind them are, so that a renamed or stray field fails; the
	// moderation request alone is open, as OpenAI clients send extra fields.
	openSchemas := []string{"/components/schemas/ModerationRequest", "/components/schemas/TextPart"}
	var closed func(ptr string, v any)
	closed = func(ptr string, v any) {
		switch n := v.(type) {
		case map[string]any:
			if _, props := n["properties"]; props && n["type"] == "object" && n["additionalProperties"] == nil && !slices.Contains(openSchemas, ptr) {
				t.Errorf("%s: an object without additionalProperties", ptr)
			}
			for k, e := range n {
				closed(ptr+pointer(k), e)
			}
		case []any:
			for i, e := range n {
				closed(ptr+pointer(strconv.Itoa(i)), e)
			}
		}
	}
	closed("", d.root)

	ids := map[string]string{}
	for _, o := range d.operations() {
		where := o.method + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", where)
		} else if prev, ok := ids[id]; ok {
			t.Errorf("%s: operationId %s is also %s's", where, id, prev)
		}
		ids[id] = where
		if _, ok := o.op["x-aup-roles"].([]any); !ok {
			t.Errorf("%s: no x-aup-roles", where)
		}
		for _, r := range o.roles() {
			if !slices.Contains(roleNames, r) {
				t.Errorf("%s: x-aup-roles names %q, which is no role", where, r)
			}
		}
		if desc, _ := o.op["description"].(string); len(o.roles()) > 0 {
			_, said, _ := strings.Cut(desc, "Roles: ")
			for _, r := range append(o.roles(), httpapi.RoleAdmin) {
				if !strings.Contains(said, r) {
					t.Errorf("%s: the description's \"Roles: \" does not name %s", where, r)
				}
			}
		}
		security, hasSecurity := o.op["security"].([]any)
		public := hasSecurity && len(security) == 0
		if public != (len(o.roles()) == 0) {
			t.Errorf("%s: public (security: []) is %v but x-aup-roles is %v", where, public, o.roles())
		}
		statuses := o.statuses()
		if !public {
			for _, s := range []int{401, 403, 500} {
				if !slices.Contains(statuses, s) {
					t.Errorf("%s: secured but no %d", where, s)
				}
			}
		}
		if d.lookup(o.ptr+"/requestBody/content/application~1json") != nil {
			for _, s := range bodyErrors {
				if !slices.Contains(statuses, s) {
					t.Errorf("%s: takes JSON but no %d", where, s)
				}
			}
		}
		for _, s := range statuses {
			ref, _ := d.lookup(o.ptr + pointer("responses", strconv.Itoa(s), "$ref")).(string)
			if s >= 400 && !strings.HasPrefix(ref, "#/components/responses/") {
				t.Errorf("%s: %d is not one of the shared error responses", where, s)
			}
			if s < 400 && d.lookup(o.ptr+pointer("responses", strconv.Itoa(s), "headers", httpapi.HeaderRequestID)) == nil {
				t.Errorf("%s: %d does not document %s", where, s, httpapi.HeaderRequestID)
			}
		}
		for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
			if !d.hasParam(o, "path", m[1]) {
				t.Errorf("%s: no path parameter %s", where, m[1])
			}
		}
	}
}

// hasParam reports whether the operation, or its path, declares the
// parameter name in in.
func (d *apiDoc) hasParam(o operation, in, name string) bool {
	for _, base := range []string{o.ptr, pointer("paths", o.path)} {
		list, _ := d.lookup(base + "/parameters").([]any)
		for i := range list {
			_, p := d.deref(base + pointer("parameters", strconv.Itoa(i)))
			if p["in"] == in && p["name"] == name && (in != "path" || p["required"] == true) {
				return true
			}
		}
	}
	return false
}

// fullConfig is the API with everything mounted: a review desk, an upload
// scanner, metrics and the console.
func fullConfig(t *testing.T) httpapi.Config {
	t.Helper()
	desk, err := review.New(review.Config{Store: memstore.NewRecords()})
	if err != nil {
		t.Fatal(err)
	}
	uploads, _ := withUploads(t)
	cfg := newConfig(t, &syncBuffer{})
	cfg.Desk = desk
	uploads(&cfg)
	cfg.Metrics = metricsHandler(t)
	cfg.Console = http.NotFoundHandler()
	cfg.Keys = append(cfg.Keys, metricsKey)
	return cfg
}

// TestOpenAPIRoutes checks that the document describes every route the
// server registers with everything mounted, and no other, the console's
// pages aside.
func TestOpenAPIRoutes(t *testing.T) {
	d := loadAPIDoc(t)
	s, err := httpapi.New(fullConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range s.Routes() {
		if r[1] == "/console" || strings.HasPrefix(r[1], "/console/") {
			continue
		}
		served[r[0]+" "+echoParam.ReplaceAllString(r[1], "{$1}")] = true
	}
	documented := map[string]bool{}
	for _, o := range d.operations() {
		documented[o.method+" "+o.path] = true
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("%s is served but not in openapi.yaml", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("%s is in openapi.yaml but not served", r)
		}
	}
	if len(served) < 30 {
		t.Errorf("only %d routes listed; is everything mounted?", len(served))
	}
}

// TestOpenAPIServed checks GET /openapi.yaml: the document, for anyone,
// cacheable and revalidated by its ETag.
func TestOpenAPIServed(t *testing.T) {
	d := loadAPIDoc(t)
	ts := startServer(t, nil)
	res := ts.do(t, request{method: http.MethodGet, path: "/openapi.yaml"})
	if res.status != http.StatusOK {
		t.Fatalf("GET /openapi.yaml = %d %s", res.status, res.body)
	}
	d.checkResponse(t, http.MethodGet, "/openapi.yaml", res)
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.body, want) {
		t.Error("the document served is not openapi.yaml")
	}
	if ct := res.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := res.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") || strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q, want cacheable", cc)
	}
	etag := res.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := ts.do(t, request{method: http.MethodGet, path: "/openapi.yaml", header: map[string]string{"If-None-Match": etag}})
	if again.status != http.StatusNotModified || len(again.body) != 0 {
		t.Errorf("revalidation = %d %q, want 304 and no body", again.status, again.body)
	}
	d.checkResponse(t, http.MethodGet, "/openapi.yaml", again)
}

// TestOpenAPIRoles calls every operation with no key and with a key of each
// role, and checks that x-aup-roles says who gets past authentication and
// that every answer, whatever it is, is one the document describes.
func TestOpenAPIRoles(t *testing.T) {
	d := loadAPIDoc(t)
	s, err := httpapi.New(fullConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: httptest.NewServer(s.Handler())}
	t.Cleanup(ts.Close)
	keys := map[string]string{
		httpapi.RoleBackend: backendKey.Secret, httpapi.RoleModerator: moderatorKey.Secret,
		httpapi.RoleMetrics: metricsKey.Secret, httpapi.RoleAdmin: adminKey.Secret,
	}
	for _, o := range d.operations() {
		path := pathParam.ReplaceAllString(o.path, "x")
		for _, role := range append([]string{""}, roleNames...) {
			res := ts.do(t, request{method: o.method, path: path, key: keys[role]})
			d.checkResponse(t, o.method, o.path, res)
			allowed := len(o.roles()) == 0 || role == httpapi.RoleAdmin || slices.Contains(o.roles(), role)
			switch {
			case role == "" && len(o.roles()) > 0:
				if res.status != http.StatusUnauthorized {
					t.Errorf("%s %s without a key = %d, want 401", o.method, o.path, res.status)
				}
			case !allowed && res.status != http.StatusForbidden:
				t.Errorf("%s %s as %s = %d, want 403 (x-aup-roles %v)", o.method, o.path, role, res.status, o.roles())
			case allowed && (res.status == http.StatusUnauthorized || res.status == http.StatusForbidden):
				t.Errorf("%s %s as %q = %d %s, but x-aup-roles %v lets it through", o.method, o.path, role, res.status, res.body, o.roles())
			}
		}
	}
}

// specClient drives the API and checks every answer against the document.
type specClient struct {
	t    *testing.T
	ts   *deskServer
	doc  *apiDoc
	seen map[string][]int // statuses seen, by "METHOD /path/{template}"
}

// specCall is one request: method and the document's route, the actual
// path (with its query; the route when empty), a key, a JSON body ("" for
// none) and the status wanted.
type specCall struct {
	method, route, path, key, body string
	contentType                    string
	header                         map[string]string
	want                           int
}

// do sends sc, fails the test when the status is not sc.want, checks the
// answer against the document, and for an accepted JSON body the request
// too.
func (c *specClient) do(sc specCall) response {
	c.t.Helper()
	path := sc.path
	if path == "" {
		path = sc.route
	}
	r := request{method: sc.method, path: path, key: sc.key, contentType: sc.contentType, header: sc.header}
	if sc.body != "" {
		r.body = strings.NewReader(sc.body)
	}
	res := c.ts.do(c.t, r)
	if res.status != sc.want {
		c.t.Fatalf("%s %s = %d, want %d; body %s", sc.method, path, res.status, sc.want, res.body)
	}
	c.doc.checkResponse(c.t, sc.method, sc.route, res)
	if res.status < 300 && sc.body != "" && sc.contentType == "" {
		c.doc.checkRequest(c.t, sc.method, sc.route, []byte(sc.body))
	}
	k := sc.method + " " + sc.route
	if !slices.Contains(c.seen[k], res.status) {
		c.seen[k] = append(c.seen[k], res.status)
	}
	return res
}

// get and send are do for the usual cases.
func (c *specClient) get(route, path, key string, want int) response {
	c.t.Helper()
	return c.do(specCall{method: http.MethodGet, route: route, path: path, key: key, want: want})
}

func (c *specClient) send(method, route, path, key, body string, want int) response {
	c.t.Helper()
	return c.do(specCall{method: method, route: route, path: path, key: key, body: body, want: want})
}

// field decodes the JSON body and returns the string at the dotted path.
func field(t *testing.T, res response, path string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Fatalf("decode %s: %v", res.body, err)
	}
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: no %s in %s", path, k, res.body)
		}
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s is %v in %s, not a string", path, v, res.body)
	}
	return s
}

// zipUpload is an archive with a text that the test screener blocks and a
// picture, so that the verdict has matches, images and members.
func zipUpload(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), G: uint8(y * 5), B: uint8((x ^ y) * 4), A: 255})
		}
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{"notes.txt": []byte("a note with " + flaggedWord + " in it"), "pic.png": pic.Bytes()} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestOpenAPIResponses drives every operation through a real listener, the
// way a product, moderators and an operator would, and validates each
// answer (and each JSON body the server accepted) against the document. It
// ends by checking that every success status the document lists was seen.
func TestOpenAPIResponses(t *testing.T) {
	store := &flakyStore{Records: memstore.NewRecords()}
	uploads, _ := withUploads(t)
	ds := startDesk(t, func(c *review.Config) { c.Store, c.ReportLimit = store, 3 }, func(c *httpapi.Config) {
		uploads(c)
		c.Metrics = metricsHandler(t)
		c.Keys = append(c.Keys, metricsKey)
		c.MaxTextBytes = 1024
		c.Ready["store"] = checkerFunc(func(ctx context.Context) error { return store.err() })
	})
	c := &specClient{t: t, ts: ds, doc: loadAPIDoc(t), seen: map[string][]int{}}
	backend, alice, bob, admin := backendKey.Secret, aliceKey.Secret, bobKey.Secret, adminKey.Secret
	const post, put, del = http.MethodPost, http.MethodPut, http.MethodDelete

	// Operations.
	c.get("/healthz", "", "", 200)
	c.get("/readyz", "", "", 200)
	c.get("/openapi.yaml", "", "", 200)
	etag := c.get("/openapi.yaml", "", "", 200).header.Get("ETag")
	c.do(specCall{method: http.MethodGet, route: "/openapi.yaml", header: map[string]string{"If-None-Match": etag}, want: 304})
	c.get("/metrics", "", metricsKey.Secret, 200)
	c.send(post, "/v1/admin/rules/reload", "", admin, "", 200)

	// Screening: allow, review (opening a case), block, the classifier's
	// status, a batch, OpenAI's three input forms and an upload.
	c.send(post, "/v1/check", "", backend, `{"text":"hello there","user_id":"reader-1","content_id":null}`, 200)
	caseID := field(t, c.send(post, "/v1/check", "", backend, `{"text":"you are `+reviewWord+`","user_id":"author-1","content_id":"note-1"}`, 200), "case_id")
	c.send(post, "/v1/check", "", backend, `{"text":"`+flaggedWord+`"}`, 200)
	c.send(post, "/v1/check", "", backend, `{"text":"the model down case"}`, 200)
	c.send(post, "/v1/check/batch", "", backend, `{"items":[{"text":"fine"},{"text":"`+flaggedWord+` here","user_id":"u-2"}]}`, 200)
	c.send(post, "/v1/moderations", "", backend, `{"input":"`+flaggedWord+`","model":"omni-moderation-latest"}`, 200)
	c.send(post, "/v1/moderations", "", backend, `{"input":["fine","`+flaggedWord+`"],"user":"ignored"}`, 200)
	c.send(post, "/v1/moderations", "", backend, `{"input":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}`, 200)
	body, ct := multipartBody(t, part{name: "file", filename: "holiday.zip", contentType: "application/zip", value: zipUpload(t)},
		part{name: "user_id", value: "author-9"}, part{name: "content_id", value: "att-1"})
	c.do(specCall{method: post, route: "/v1/check/upload", key: backend, body: body.String(), contentType: ct, want: 200})

	// A report joins the screening case; moderators list, view, claim and
	// decide it; the product reads the outcome, the author's standing and
	// the statement of reasons.
	report := `{"reporter_id":"reporter-1","target_type":"note","target_id":"note-1","target_user_id":"author-1","category":"harassment","text":"what I saw","explanation":"rude","contact_email":"r1@example.org"}`
	reportID := field(t, c.send(post, "/v1/reports", "", backend, report, 202), "id")
	c.send(post, "/v1/reports", "", backend, report, 200)
	c.get("/v1/reports/{id}", "/v1/reports/"+reportID, backend, 200)
	c.get("/v1/review/items", "", alice, 200)
	c.get("/v1/review/items/{id}", "/v1/review/items/"+caseID, alice, 200)
	c.send(post, "/v1/review/items/{id}/claim", "/v1/review/items/"+caseID+"/claim", alice, "", 200)
	c.send(post, "/v1/review/items/{id}/claim", "/v1/review/items/"+caseID+"/claim", bob, "", 409)
	decide := specCall{method: post, route: "/v1/review/items/{id}/decision", path: "/v1/review/items/" + caseID + "/decision", key: alice,
		body: `{"action":"remove","categories":["harassment"],"reason":"an insult"}`, header: map[string]string{"Idempotency-Key": "decide-1"}, want: 200}
	decisionID := field(t, c.do(decide), "decision.id")
	if !strings.Contains(string(c.do(decide).body), `"replayed":true`) {
		t.Error("the retried decision was not replayed")
	}
	ds.work(t)
	c.get("/v1/reports/{id}", "/v1/reports/"+reportID, backend, 200)
	c.get("/v1/users/{id}/status", "/v1/users/author-1/status", backend, 200)
	c.get("/v1/decisions/{id}/statement", "/v1/decisions/"+decisionID+"/statement", backend, 200)

	// The author appeals; another moderator takes the next case, the
	// appeal, and decides it; then the queue is empty.
	appeal := `{"user_id":"author-1","decision_id":"` + decisionID + `","statement":"it was a quote"}`
	appealID := field(t, c.send(post, "/v1/appeals", "", backend, appeal, 202), "case_id")
	c.send(post, "/v1/appeals", "", backend, appeal, 200)
	c.get("/v1/review/items/{id}", "/v1/review/items/"+appealID, bob, 200)
	if got := field(t, c.send(post, "/v1/review/claim", "", bob, `{"lanes":["urgent","high","normal","low"]}`, 200), "id"); got != appealID {
		t.Fatalf("the next case is %s, want the appeal %s", got, appealID)
	}
	c.send(post, "/v1/review/items/{id}/decision", "/v1/review/items/"+appealID+"/decision", bob, `{"action":"dismiss","reason":"the removal stands"}`, 200)
	c.send(post, "/v1/review/claim", "", bob, "", 204)

	// A flood decided in bulk, a page of a listing, an escalation.
	var flood []string
	for _, note := range []string{"note-2", "note-3", "note-4"} {
		flood = append(flood, field(t, c.send(post, "/v1/check", "", backend, `{"text":"`+reviewWord+`","user_id":"author-2","content_id":"`+note+`"}`, 200), "case_id"))
	}
	c.get("/v1/review/items", "/v1/review/items?status=open&kind=screening&limit=1&offset=0", alice, 200)
	c.get("/v1/review/items", "/v1/review/items?status=closed&lane=high", alice, 200)
	c.send(post, "/v1/review/decisions", "", alice, `{"ids":["`+flood[0]+`","`+flood[1]+`","case_missing"],"action":"keep","categories":[],"reason":"fine"}`, 200)
	c.send(post, "/v1/review/items/{id}/claim", "/v1/review/items/"+flood[2]+"/claim", alice, "", 200)
	c.send(post, "/v1/review/items/{id}/decision", "/v1/review/items/"+flood[2]+"/decision", alice, `{"action":"escalate","reason":"a threat?"}`, 200)

	// Direct suspensions, for a week and indefinitely; the product sees them
	// in checks and statuses; one is lifted.
	suspend := specCall{method: post, route: "/v1/users/{id}/suspensions", path: "/v1/users/author-3/suspensions", key: alice,
		body: `{"reason":"spam wave","days":7,"categories":["spam"]}`, header: map[string]string{"Idempotency-Key": "suspend-1"}, want: 201}
	c.do(suspend)
	suspend.want = 200
	c.do(suspend)
	c.send(post, "/v1/users/{id}/suspensions", "/v1/users/author-4/suspensions", alice, `{"reason":"threats","days":0}`, 201)
	c.get("/v1/users/{id}/status", "/v1/users/author-3/status", alice, 200)
	c.get("/v1/users/{id}/status", "/v1/users/author-4/status", backend, 200)
	c.send(post, "/v1/check", "", backend, `{"text":"hi","user_id":"author-3"}`, 200)
	c.send(post, "/v1/check", "", backend, `{"text":"hi","user_id":"author-4"}`, 200)
	c.send(del, "/v1/users/{id}/suspensions/current", "/v1/users/author-3/suspensions/current?reason=served", alice, "", 200)
	c.send(del, "/v1/users/{id}/suspensions/current", "/v1/users/author-3/suspensions/current", alice, "", 404)

	// The audit log, two pages.
	next := field(t, c.get("/v1/audit", "/v1/audit?limit=3", admin, 200), "next")
	c.get("/v1/audit", "/v1/audit?after="+next+"&actor=alice&limit=500", admin, 200)

	// Hash banks.
	hash := strings.Repeat("AB", 32)
	c.send(put, "/v1/hashbanks/{bank}", "/v1/hashbanks/known", admin, `{"category":"child_safety","action":"block"}`, 201)
	c.send(put, "/v1/hashbanks/{bank}", "/v1/hashbanks/known", admin, `{"category":"child_safety","action":"block","distance":20,"description":"shared"}`, 200)
	c.get("/v1/hashbanks", "", admin, 200)
	c.get("/v1/hashbanks/{bank}", "/v1/hashbanks/known", admin, 200)
	entry := `{"kind":"sha256","hash":"` + hash + `","note":"from a programme","decision_id":"` + decisionID + `"}`
	entryID := field(t, c.send(post, "/v1/hashbanks/{bank}/entries", "/v1/hashbanks/known/entries", admin, entry, 201), "id")
	c.send(post, "/v1/hashbanks/{bank}/entries", "/v1/hashbanks/known/entries", admin, entry, 200)
	c.get("/v1/hashbanks/{bank}/entries", "/v1/hashbanks/known/entries?limit=1", admin, 200)
	c.get("/v1/hashbanks/{bank}/entries", "/v1/hashbanks/known/entries?offset=1", admin, 200)
	c.send(del, "/v1/hashbanks/{bank}", "/v1/hashbanks/known", admin, "", 409)
	c.send(del, "/v1/hashbanks/{bank}/entries/{id}", "/v1/hashbanks/known/entries/"+entryID, admin, "", 204)
	c.send(del, "/v1/hashbanks/{bank}", "/v1/hashbanks/known", admin, "", 204)
	c.get("/v1/hashbanks/{bank}", "/v1/hashbanks/known", admin, 404)

	// Transparency: the figures of the last hour (the statistics log is
	// dated by the store's clock) and the statements of the desk's month.
	if err := ds.desk.FlushStats(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	period := "?from=" + now.Add(-time.Hour).Format(time.RFC3339) + "&to=" + now.Add(time.Hour).Format(time.RFC3339)
	c.get("/v1/transparency", "/v1/transparency"+period, admin, 200)
	lines := c.get("/v1/transparency/statements", "/v1/transparency/statements?from=2025-03-01&to=2025-03-31", admin, 200)
	if n := bytes.Count(lines.body, []byte("\n")); n < 2 {
		t.Errorf("%d statements exported, want the removal and the suspensions", n)
	}

	// Privacy: an export, a restriction set and lifted, an erasure, and one
	// refused while a suspension is in force.
	c.get("/v1/privacy/users/{id}/export", "/v1/privacy/users/author-1/export", admin, 200)
	c.send(post, "/v1/privacy/users/{id}/restriction", "/v1/privacy/users/author-1/restriction", admin, `{"restricted":true,"reason":"contests a decision"}`, 200)
	c.send(post, "/v1/privacy/users/{id}/restriction", "/v1/privacy/users/author-1/restriction", admin, `{"restricted":false}`, 200)
	ds.work(t)
	c.send(del, "/v1/privacy/users/{id}", "/v1/privacy/users/author-1", admin, "", 200)
	c.send(del, "/v1/privacy/users/{id}", "/v1/privacy/users/author-4", admin, "", 409)

	// Errors: each has the shared shape and a status the operation lists.
	c.send(post, "/v1/check", "", backend, `{"text":""}`, 400)
	c.send(post, "/v1/check", "", backend, `{"TEXT":"x"}`, 400)
	c.send(post, "/v1/check", "", "", `{"text":"x"}`, 401)
	c.send(post, "/v1/check", "", "not-a-key-0123456789", `{"text":"x"}`, 401)
	c.send(post, "/v1/check", "", alice, `{"text":"x"}`, 403)
	c.get("/v1/reports/{id}", "/v1/reports/rpt_missing", backend, 404)
	c.send(post, "/v1/check", "", backend, `{"text":"`+strings.Repeat("a", 2000)+`"}`, 413)
	c.do(specCall{method: post, route: "/v1/check", key: backend, body: `{"text":"x"}`, contentType: "text/plain", want: 415})
	c.get("/v1/review/items", "/v1/review/items?lane=fast", alice, 400)
	c.get("/v1/transparency", "/v1/transparency?from=yesterday&to=today", admin, 400)
	for i := range 3 {
		c.send(post, "/v1/reports", "", backend, reportBody("reporter-9", "note", fmt.Sprintf("n-%d", i), "author-5", "spam"), 202)
	}
	c.send(post, "/v1/reports", "", backend, reportBody("reporter-9", "note", "n-3", "author-5", "spam"), 429)
	store.down.Store(true)
	c.get("/readyz", "", "", 503)
	c.send(post, "/v1/check", "", backend, `{"text":"`+reviewWord+`","content_id":"note-9"}`, 503)
	c.get("/v1/users/{id}/status", "/v1/users/author-1/status", backend, 503)
	// A check is still answered, and says the author's standing is missing.
	if res := c.send(post, "/v1/check", "", backend, `{"text":"hello there","user_id":"reader-2"}`, 200); !bytes.Contains(res.body, []byte(`"degraded":["user_standing"]`)) {
		t.Errorf("check with the store down: %s; want degraded user_standing", res.body)
	}
	store.down.Store(false)

	// Every success the document promises was seen at least once.
	for _, o := range c.doc.operations() {
		for _, s := range o.statuses() {
			if s < 400 && !slices.Contains(c.seen[o.method+" "+o.path], s) {
				t.Errorf("%s %s: no %d was seen", o.method, o.path, s)
			}
		}
	}
}
