package console

import (
	"fmt"
	"html/template"
	"time"
)

// pageNames are the page templates; each is parsed with the layout and the
// shared text and scores blocks.
var pageNames = []string{"login", "error", "queue", "case", "playground", "audit", "users"}

// parsePages parses every page with the template functions: since (the age
// of a time), rfc3339 and formID (a fresh id for a decision form).
func parsePages(now func() time.Time) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"since": func(t time.Time) string { return age(now().Sub(t)) },
		"rfc3339": func(t any) string {
			switch t := t.(type) {
			case time.Time:
				return t.UTC().Format(time.RFC3339)
			case *time.Time:
				if t != nil {
					return t.UTC().Format(time.RFC3339)
				}
			}
			return ""
		},
		"formID": func() string { return token(16) },
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/text.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}
