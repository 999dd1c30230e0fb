// Package httpapi is aup's HTTP API, served with Echo v4. It decodes and
// validates requests, authenticates callers, and hands content to the
// screening engine through the small interfaces declared here (Screener,
// Reloader, Checker). The cmd package owns the net/http.Server and the
// listener; New returns a Server whose Handler is mounted there.
//
// # Endpoints
//
//	POST /v1/check               backend, admin   screen one text
//	POST /v1/check/batch         backend, admin   screen up to MaxBatch texts, in order
//	POST /v1/check/upload        backend, admin   screen a file (multipart)
//	POST /v1/moderations         backend, admin   OpenAI's moderation API, for OpenAI clients
//	POST /v1/admin/rules/reload  admin            reload the rule lists
//	GET  /metrics                metrics, admin   Prometheus metrics
//	GET  /healthz                anyone           the process is up
//	GET  /readyz                 anyone           every readiness check passes
//	GET  /openapi.yaml           anyone           the OpenAPI 3.1 description of every endpoint
//
// and, with a review desk, the report, review, appeal and hash bank routes
// (review.go, banks.go).
//
// Request bodies are JSON objects sent with Content-Type application/json.
// Field names are case-sensitive and may appear once. Unknown or repeated
// fields, trailing data, invalid UTF-8 and wrong types are rejected with 400
// naming the field; /v1/moderations alone ignores unknown fields, as
// OpenAI's clients may send fields aup has no use for. Bodies are streamed through a per-route size limit
// derived from MaxTextBytes (times MaxBatch for a batch), so an oversized
// body is refused with 413 without being buffered.
//
// # Errors
//
// Every error, including Echo's own (unknown route, wrong method), is written
// by one error handler as
//
//	{"error":{"code":"invalid","message":"text is required"}}
//
// with the status taken from one table keyed by moderation error code.
// Errors that are not a *moderation.Error are answered with 500 "internal
// error" and logged once with the request id; their text is never sent.
//
// # Authentication
//
// Callers send "Authorization: Bearer <key>". Each Key has a role: admin may
// call everything, backend may screen content, moderator works the review
// endpoints, metrics may only scrape /metrics. A missing or unknown key is answered with 401, a known key
// without the route's role with 403.
//
// With no keys configured aup runs in development mode: requests whose
// network peer (never a forwarding header) is a loopback address are treated
// as admin, and every other request is refused with 401, as are loopback
// requests that carry a proxy's forwarding header (Forwarded, X-Forwarded-For,
// X-Real-IP), since behind a proxy on the same host everyone is loopback. cmd
// also binds to loopback in that mode; the checks here are defence in depth.
//
// # Logging
//
// Each request is logged once, after it completes, with its method, route
// template, status, latency, response size, request id and key name. Request
// bodies and the text being screened are never logged. The request id (taken
// from a well-formed X-Request-ID header or generated) is echoed in the
// response and carried in the request context: see RequestID and LogHandler.
package httpapi
