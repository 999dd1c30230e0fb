package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// serveMetrics returns the handler of GET /metrics: h, the Prometheus
// exposition that cmd builds over its registry. The route is mounted behind
// RoleMetrics, so a scrape-only key can read the metrics and call nothing
// else, and the access log names the key that scraped. What h exposes is
// cmd's choice; it must never include content or key secrets.
func serveMetrics(h http.Handler) echo.HandlerFunc {
	return echo.WrapHandler(h)
}
