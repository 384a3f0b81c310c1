package client_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/userport/userport/client"
)

// directory is a fake Management API serving three connections (two per
// page at most) and two users, recording the queries it was sent.
func directory(t *testing.T) (*client.Client, *[]string) {
	t.Helper()
	conns := []client.Connection{
		{ID: "con_aaaaaaaaaaaaaaaa", Name: "Username-Password-Authentication", Strategy: "auth0"},
		{ID: "con_bbbbbbbbbbbbbbbb", Name: "customers", Strategy: "auth0"},
		{ID: "con_cccccccccccccccc", Name: "staff", Strategy: "auth0"},
	}
	var queries []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/connections", func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		from, to := min(2*page, len(conns)), min(2*page+2, len(conns)) // the server pages by 2
		_ = json.NewEncoder(w).Encode(map[string]any{"total": len(conns), "start": from, "limit": 2, "connections": conns[from:to]})
	})
	mux.HandleFunc("GET /api/v2/users", func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		fmt.Fprint(w, `{"start":0,"limit":50,"length":1,"total":1,"users":[{"user_id":"auth0|1","email":"a@example.com"}]}`)
	})
	mux.HandleFunc("GET /api/v2/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "auth0|1/x" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}`)
			return
		}
		fmt.Fprint(w, `{"user_id":"auth0|1","email":"a@example.com"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{URL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return c, &queries
}

func TestConnectionID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, given, want, wantErr string
	}{
		{"by name", "customers", "con_bbbbbbbbbbbbbbbb", ""},
		{"by name, on a later page", "staff", "con_cccccccccccccccc", ""},
		{"by id", "con_aaaaaaaaaaaaaaaa", "con_aaaaaaaaaaaaaaaa", ""},
		{"no match lists the names", "username-password-authentication", "",
			`no connection is named "username-password-authentication" or has that id; ` +
				"the tenant's connections: Username-Password-Authentication, customers, staff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := directory(t)
			got, err := c.ConnectionID(t.Context(), tt.given)
			if tt.wantErr != "" {
				var nc *client.NoConnectionError
				if !errors.As(err, &nc) || err.Error() != tt.wantErr {
					t.Fatalf("ConnectionID(%q) = %q, %v; want the error %q", tt.given, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ConnectionID(%q) = %q, %v; want %q", tt.given, got, err, tt.want)
			}
		})
	}
}

func TestConnections(t *testing.T) {
	t.Parallel()
	c, queries := directory(t)
	conns, err := c.Connections(t.Context())
	if err != nil || len(conns) != 3 || conns[2].Name != "staff" || conns[2].Strategy != "auth0" {
		t.Fatalf("Connections = %+v, %v; want the 3 connections of 2 pages", conns, err)
	}
	if len(*queries) != 2 || !strings.Contains((*queries)[1], "page=1") {
		t.Errorf("queries = %q, want pages 0 and 1", *queries)
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		q         client.UserQuery
		wantQuery string
	}{
		{"list", client.UserQuery{}, "include_totals=true&page=0"},
		{"search, paged", client.UserQuery{Q: `email:"a@example.com"`, Page: 2, PerPage: 10},
			"include_totals=true&page=2&per_page=10&q=email%3A%22a%40example.com%22&search_engine=v3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, queries := directory(t)
			p, err := c.Users(t.Context(), tt.q)
			if err != nil || p.Total != 1 || len(p.Users) != 1 {
				t.Fatalf("Users = %+v, %v", p, err)
			}
			if (*queries)[0] != tt.wantQuery {
				t.Errorf("query = %s, want %s", (*queries)[0], tt.wantQuery)
			}
		})
	}
}

func TestUser(t *testing.T) {
	t.Parallel()
	c, _ := directory(t)
	u, err := c.User(t.Context(), "auth0|1/x")
	if err != nil || !strings.Contains(string(u), `"email":"a@example.com"`) {
		t.Fatalf("User = %s, %v", u, err)
	}
	var e *client.Error
	if _, err := c.User(t.Context(), "auth0|2"); !errors.As(err, &e) || e.StatusCode != 404 || e.ErrorCode != "inexistent_user" {
		t.Errorf("User(unknown) = %v, want the 404 inexistent_user", err)
	}
}
