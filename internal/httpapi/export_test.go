package httpapi

// Routes lists the method and path of every route registered on s, for the
// test that checks them against the OpenAPI document.
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, r := range s.echo.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}
