package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/userport/userport"
)

var connectionIDShape = regexp.MustCompile(`^con_[A-Za-z0-9]{16}$`)

// connectionJSON is a connection as the API shows it: its options are
// Auth0's defaults, plus the given ones (key, value pairs).
func connectionJSON(id, name string, options ...any) map[string]any {
	raw, err := userport.ConnectionOptions(nil)
	if err != nil {
		panic(err)
	}
	opts := map[string]any{}
	if err := json.Unmarshal(raw, &opts); err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(options); i += 2 {
		opts[options[i].(string)] = options[i+1]
	}
	return map[string]any{"id": id, "name": name, "strategy": "auth0", "options": opts,
		"enabled_clients": []any{}, "is_domain_connection": false, "realms": []any{name}}
}

func TestDefaultConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var list []map[string]any
	r := b.admin(http.MethodGet, "/connections", nil)
	r.decode(t, &list)
	if len(list) != 1 {
		t.Fatalf("%d connections, want 1: %s", len(list), r.body)
	}
	id, _ := list[0]["id"].(string)
	if !connectionIDShape.MatchString(id) {
		t.Fatalf("id = %q, want con_ and 16 alphanumerics", id)
	}
	want := connectionJSON(id, upa)
	r.want(t, 200, mustJSON(t, []any{want}))
	b.admin(http.MethodGet, "/connections/"+id, nil).want(t, 200, mustJSON(t, want))
}

func TestConnections(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conns := map[string]string{b.connection(upa).ID: upa} // id -> name
	for i := range 5 {
		name := fmt.Sprintf("conn-%d", i)
		r := b.admin(http.MethodPost, "/connections", map[string]any{"name": name, "strategy": "auth0",
			"options": map[string]any{"requires_username": false}, "enabled_clients": []string{"abc"}, "display_name": "C"})
		got := r.object(t)
		id, _ := got["id"].(string)
		if !connectionIDShape.MatchString(id) {
			t.Fatalf("id = %q, want con_ and 16 alphanumerics", id)
		}
		want := mustJSON(t, connectionJSON(id, name, "requires_username", false)) // options kept (issue 12)
		r.want(t, 201, want)
		b.admin(http.MethodGet, "/connections/"+id, nil).want(t, 200, want)
		conns[id] = name
	}
	ids := make([]string, 0, len(conns))
	for id := range conns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	list := func(ids []string) []any {
		out := []any{}
		for _, id := range ids {
			if conns[id] == upa {
				out = append(out, connectionJSON(id, upa))
			} else {
				out = append(out, connectionJSON(id, conns[id], "requires_username", false))
			}
		}
		return out
	}

	plain := []struct {
		query string
		want  []string
	}{
		{"", ids},
		{"?per_page=4", ids[:4]},
		{"?per_page=4&page=1", ids[4:]},
		{"?per_page=4&page=2", nil},
		{"?strategy=auth0", ids},
		{"?strategy=google-oauth2", nil},
		{"?name=conn-3", []string{idOf(conns, "conn-3")}},
		{"?name=none", nil},
	}
	for _, tt := range plain {
		t.Run(tt.query, func(t *testing.T) {
			b.admin(http.MethodGet, "/connections"+tt.query, nil).want(t, 200, mustJSON(t, list(tt.want)))
		})
	}

	t.Run("include_totals", func(t *testing.T) {
		want := map[string]any{"start": 4, "limit": 2, "length": 2, "total": 6, "connections": list(ids[4:6])}
		b.admin(http.MethodGet, "/connections?include_totals=true&per_page=2&page=2", nil).want(t, 200, mustJSON(t, want))
	})

	checkpoint := []struct {
		query string
		want  []string
		next  string // "" for none
	}{
		{"?take=2", ids[0:2], ids[1]},
		{"?take=2&from=" + ids[1], ids[2:4], ids[3]},
		{"?take=2&from=" + ids[3], ids[4:6], ""}, // the last page, exactly full
		{"?take=4&from=" + ids[3], ids[4:6], ""},
		{"?take=6", ids, ""},
		{"?from=" + ids[5], nil, ""},
		{"?include_totals=true&take=50", ids, ""}, // what the Node SDK sends
		{"?take=1&name=conn-2", []string{idOf(conns, "conn-2")}, ""},
	}
	for _, tt := range checkpoint {
		t.Run(tt.query, func(t *testing.T) {
			want := map[string]any{"connections": list(tt.want)}
			if tt.next != "" {
				want["next"] = tt.next
			}
			b.admin(http.MethodGet, "/connections"+tt.query, nil).want(t, 200, mustJSON(t, want))
		})
	}

	t.Run("checkpoint walk", func(t *testing.T) {
		var seen []string
		from := ""
		for range len(ids) + 1 {
			var page struct {
				Connections []struct{ ID string }
				Next        *string
			}
			b.admin(http.MethodGet, "/connections?take=4&from="+url.QueryEscape(from), nil).decode(t, &page)
			for _, c := range page.Connections {
				seen = append(seen, c.ID)
			}
			if page.Next == nil {
				break
			}
			from = *page.Next
		}
		if g, w := strings.Join(seen, " "), strings.Join(ids, " "); g != w {
			t.Fatalf("walked %s, want %s", g, w)
		}
	})

	t.Run("errors", func(t *testing.T) {
		b.admin(http.MethodPost, "/connections", map[string]any{"name": "conn-1", "strategy": "auth0"}).
			wantError(t, 409, "connection_conflicts", "A connection with the same name already exists")
		b.admin(http.MethodPost, "/connections", map[string]any{"name": upa, "strategy": "auth0"}).
			wantError(t, 409, "connection_conflicts", "A connection with the same name already exists")
		b.admin(http.MethodGet, "/connections/con_0000000000000000", nil).
			wantError(t, 404, "inexistent_connection", "The connection does not exist.")
		if n := b.connectionCount(); n != 6 {
			t.Fatalf("%d connections, want 6", n)
		}
	})
}

// idOf returns the id of the connection named name.
func idOf(conns map[string]string, name string) string {
	for id, n := range conns {
		if n == name {
			return id
		}
	}
	return ""
}

// connectionCount counts the tenant's connections in the store.
func (e *env) connectionCount() int {
	e.t.Helper()
	_, n, err := e.Store.ListConnections(e.ctx(), userport.ConnectionFilter{Tenant: e.tenant, Limit: 1})
	must(e.t, err)
	return n
}
