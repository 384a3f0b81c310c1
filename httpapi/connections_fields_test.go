package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// api sends an authorized Management API request.
func (s *fuzzServer) api(method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return s.do(r)
}

// TestConnectionFieldsKeepDomainFlag checks that a connection projected by
// fields and include_fields keeps is_domain_connection, as Auth0 does
// whatever fields says (go-auth0 v1.27.0's recording of
// TestConnectionManager_List: fields=id&include_fields=true answers
// {"id":...,"is_domain_connection":false}), in Auth0's key order; without
// fields every key is there.
func TestConnectionFieldsKeepDomainFlag(t *testing.T) {
	s := newFuzzServer(t)
	w := s.api(http.MethodPost, "/api/v2/connections", `{"name":"fields-test","strategy":"auth0"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create connection: %d %s", w.Code, w.Body.Bytes())
	}
	var created struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	all := []string{"id", "options", "strategy", "name", "is_domain_connection", "enabled_clients", "realms"}
	tests := []struct {
		query string
		want  []string
	}{
		{"fields=id&include_fields=true", []string{"id", "is_domain_connection"}},
		{"fields=id", []string{"id", "is_domain_connection"}},
		{"fields=name,id", []string{"id", "name", "is_domain_connection"}},
		{"fields=is_domain_connection", []string{"is_domain_connection"}},
		{"fields=nothing", []string{"is_domain_connection"}},
		{"fields=options,realms&include_fields=false", []string{"id", "strategy", "name", "is_domain_connection", "enabled_clients"}},
		{"fields=is_domain_connection&include_fields=false", all},
		{"fields=is_domain_connection,name&include_fields=false", []string{"id", "options", "strategy", "is_domain_connection", "enabled_clients", "realms"}},
		{"", all},
		{"fields=&include_fields=true", all},
	}
	full := s.api(http.MethodGet, "/api/v2/connections/"+created.ID, "").Body.Bytes()
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			want, err := userport.SelectMembers(full, tt.want, true)
			if err != nil {
				t.Fatalf("%s: %v", full, err)
			}
			for _, path := range []string{"/api/v2/connections?name=fields-test&", "/api/v2/connections/" + created.ID + "?"} {
				w := s.api(http.MethodGet, path+tt.query, "")
				got := w.Body.String()
				if strings.HasPrefix(path, "/api/v2/connections?") {
					got = strings.TrimSuffix(strings.TrimPrefix(got, "["), "]")
				}
				if w.Code != http.StatusOK || got != string(want) {
					t.Errorf("GET %s%s: %d %s, want %s", path, tt.query, w.Code, w.Body.Bytes(), want)
				}
			}
		})
	}
}

// TestConnectionFieldsPaged checks the recorded request itself, with
// include_totals: each connection of the page keeps is_domain_connection.
func TestConnectionFieldsPaged(t *testing.T) {
	s := newFuzzServer(t)
	for _, name := range []string{"paged-a", "paged-b"} {
		if w := s.api(http.MethodPost, "/api/v2/connections", `{"name":"`+name+`","strategy":"auth0"}`); w.Code != http.StatusCreated {
			t.Fatalf("create %s: %d %s", name, w.Code, w.Body.Bytes())
		}
	}
	w := s.api(http.MethodGet, "/api/v2/connections?fields=id&include_fields=true&include_totals=true&per_page=50", "")
	var page struct{ Connections []json.RawMessage }
	if err := json.Unmarshal(w.Body.Bytes(), &page); w.Code != http.StatusOK || err != nil || len(page.Connections) < 2 {
		t.Fatalf("list: %d %s", w.Code, w.Body.Bytes())
	}
	for _, c := range page.Connections {
		var got map[string]any
		if err := json.Unmarshal(c, &got); err != nil || len(got) != 2 || got["id"] == nil || got["is_domain_connection"] != false {
			t.Errorf("connection %s, want its id and is_domain_connection", c)
		}
	}
}
