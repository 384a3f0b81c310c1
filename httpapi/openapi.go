package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3 description of every route, written by
// hand (openapi.json): served byte for byte, checked against the registered
// routes and by an OpenAPI validator in openapi_test.go.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI 3 document GET /api/v2/openapi.json serves.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }

// openAPI serves the OpenAPI document, without authentication: it
// describes the API, nothing of the tenant.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, openAPIDocument)
}
