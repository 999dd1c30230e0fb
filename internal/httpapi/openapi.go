package httpapi

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// openAPIDoc is the OpenAPI 3.1 description of this API: every route, its
// roles, bodies, responses and errors. openapi_test.go keeps it true by
// checking it against the routes registered and against real responses.
//
//go:embed openapi.yaml
var openAPIDoc []byte

// openAPIETag names the document's content, so that caches can revalidate.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDoc)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// serveOpenAPI handles GET /openapi.yaml, for anyone: client generators and
// people reading the API need no key. It may be cached, unlike every other
// answer, and revalidated with If-None-Match.
func serveOpenAPI(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/yaml")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", openAPIETag)
	http.ServeContent(c.Response(), c.Request(), "openapi.yaml", time.Time{}, bytes.NewReader(openAPIDoc))
	return nil
}
