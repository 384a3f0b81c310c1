package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/userport/userport"
	"github.com/userport/userport/httpapi"
)

// loadOpenAPI parses and validates the embedded document with kin-openapi.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is not valid OpenAPI 3: %v", err)
	}
	return doc
}

// queue is a Queue that enqueues nothing: the routes only need one to exist.
type queue struct{}

func (queue) EnqueueTx(context.Context, userport.Tx, *userport.Job) error { return nil }

// fullServer is a Server with every optional route on: the jobs API, the
// local download links and /metrics.
func fullServer() (*httpapi.Server, http.Handler) {
	s := &httpapi.Server{Tenant: "dev", Queue: queue{}, Downloads: http.NotFoundHandler(), Console: http.NotFoundHandler(),
		MetricsHandler: http.NotFoundHandler(), Webhooks: &httpapi.Webhooks{}}
	return s, s.Handler()
}

// documented returns the route pattern of every operation of doc
// (x-userport-pattern, else "METHOD path").
func documented(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			pattern := method + " " + path
			if p, ok := op.Extensions["x-userport-pattern"].(string); ok {
				pattern = p
			}
			out = append(out, pattern)
		}
	}
	return out
}

// TestOpenAPIMatchesRoutes checks that the document describes every route
// the server registers and nothing else.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	s, _ := fullServer()
	described := documented(doc)
	var missing, extra []string
	for _, route := range s.Routes() {
		if route != "/" && !slices.Contains(described, route) { // "/": the not-found fallback
			missing = append(missing, route)
		}
	}
	for _, pattern := range described {
		if !slices.Contains(s.Routes(), pattern) {
			extra = append(extra, pattern)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("registered but not in the OpenAPI document:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("in the OpenAPI document but not registered:\n  %s", strings.Join(extra, "\n  "))
	}
}

// TestOpenAPIServed checks GET /api/v2/openapi.json: the document, as JSON,
// without a token.
func TestOpenAPIServed(t *testing.T) {
	_, h := fullServer()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v2/openapi.json", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v2/openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), httpapi.OpenAPIDocument()) {
		t.Errorf("the served document is not the embedded one")
	}
}

// TestOpenAPIErrorBodies checks real error answers against the document's
// Error schema: the shape a client generated from it expects.
func TestOpenAPIErrorBodies(t *testing.T) {
	doc := loadOpenAPI(t)
	schema := doc.Components.Schemas["Error"].Value
	_, h := fullServer()
	for _, tc := range []struct {
		method, path, auth string
		status             int
	}{
		{http.MethodGet, "/no/such/path", "", http.StatusNotFound},
		{http.MethodGet, "/api/v2/users", "", http.StatusUnauthorized},
		{http.MethodGet, "/api/v2/users", "Basic eDp5", http.StatusBadRequest},
		{http.MethodPost, "/api/v2/jobs/users-exports", "Bearer", http.StatusBadRequest},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, rec.Code, body, tc.status)
			continue
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("%s %s: body %s: %v", tc.method, tc.path, body, err)
			continue
		}
		if err := schema.VisitJSON(v); err != nil {
			t.Errorf("%s %s: body %s does not match the Error schema: %v", tc.method, tc.path, body, err)
		}
	}
}
