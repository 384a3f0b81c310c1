package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestUserSearch searches users through GET /api/v2/users?q= as Auth0 SDKs
// send it: matches, totals, sort, paging, and the 400s of bad searches.
func TestUserSearch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := b.putUsers(b.connection(upa), 1, 30) // user1@example.com ... user30@example.com
	ann := b.createUser(map[string]any{"connection": upa, "email": "Ann.Lee@Example.com", "password": "correct-horse-9",
		"name": "Ann Lee", "user_metadata": map[string]any{"plan": "gold"}})
	search := func(params ...string) *response {
		v := url.Values{}
		for i := 0; i+1 < len(params); i += 2 {
			v.Set(params[i], params[i+1])
		}
		return b.admin(http.MethodGet, "/users?"+v.Encode(), nil)
	}
	userIDs := func(r *response) []string {
		r.wantStatus(t, http.StatusOK)
		var users []struct {
			UserID string `json:"user_id"`
		}
		r.decode(t, &users)
		var out []string
		for _, u := range users {
			out = append(out, u.UserID)
		}
		return out
	}
	tests := []struct {
		name   string
		params []string
		want   []string
	}{
		{"email exact, any case", []string{"q", `email:"ANN.LEE@example.com"`, "search_engine", "v3"}, []string{ann["user_id"].(string)}},
		{"email prefix", []string{"q", `email:user2*`, "search_engine", "v3"}, append([]string{ids[1]}, ids[19:29]...)},
		{"metadata and name", []string{"q", `user_metadata.plan:gold AND name:"ann lee"`}, []string{ann["user_id"].(string)}},
		{"not", []string{"q", `NOT email:user*`, "search_engine", "v3"}, []string{ann["user_id"].(string)}},
		{"sort descending, paged", []string{"q", `email:user1*`, "sort", "email:-1", "per_page", "2", "page", "1"}, []string{ids[17], ids[16]}}, // user1@ sorts after user19@
		{"connection", []string{"q", `identities.connection:"` + upa + `"`, "per_page", "3"}, ids[:3]},
		{"no match", []string{"q", `user_id:"auth0|nobody"`}, nil},
		{"blank q: the plain list", []string{"q", " ", "per_page", "2"}, ids[:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := userIDs(search(tt.params...)); !slices.Equal(got, tt.want) {
				t.Errorf("users %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("totals", func(t *testing.T) {
		r := search("q", "email:user1*", "include_totals", "true", "per_page", "5", "search_engine", "v3")
		r.wantStatus(t, http.StatusOK)
		var page struct {
			Start, Limit, Length, Total int
			Users                       []json.RawMessage
		}
		r.decode(t, &page)
		if page.Start != 0 || page.Limit != 5 || page.Length != 5 || page.Total != 11 || len(page.Users) != 5 {
			t.Errorf("page %+v, want start 0, limit 5, length 5, total 11 (user1, user10-19)", page)
		}
	})
	bad := []struct {
		name      string
		params    []string
		errorCode string
		message   string
	}{
		{"unclosed quote", []string{"q", `email:"ann`}, "invalid_query_string",
			`Query validation error: 'Invalid query at position 7: unclosed quote' on property q.`},
		{"unknown field", []string{"q", `for:the horde`}, "invalid_query_string",
			`Query validation error: 'Invalid query at position 1: filter can not be used with unknown field: for' on property q.`},
		{"wildcard on metadata", []string{"q", `user_metadata.plan:go*`}, "invalid_query_string",
			`Query validation error: 'Invalid query at position 20: wildcards are not allowed on metadata fields (user_metadata.plan)' on property q.`},
		{"search engine v1", []string{"q", `email:x`, "search_engine", "v1"}, "operation_not_supported", `You are not allowed to use search_engine=v1.`},
		{"search engine v2", []string{"search_engine", "v2"}, "operation_not_supported", `You are not allowed to use search_engine=v2.`},
		{"search engine v4", []string{"q", `email:x`, "search_engine", "v4"}, "invalid_query_string",
			`Query validation error: 'No enum match for: "v4"' on property search_engine.`},
		{"past the first 1000", []string{"q", `email:user*`, "page", "10", "per_page", "100"}, "invalid_paging",
			`You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation`},
		{"sort pattern", []string{"q", `email:user*`, "sort", "email"}, "invalid_query_string",
			`Query validation error: 'String does not match pattern ^(([a-zA-Z0-9_\.]+))\:(1|-1)$: email' on property sort.`},
		{"sort by metadata", []string{"sort", "user_metadata.plan:1"}, "invalid_query_string",
			`Query validation error: 'Invalid sort at position 1: sorting by user_metadata.plan is not supported (app_metadata and user_metadata cannot be sorted by)' on property sort.`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			search(tt.params...).wantError(t, http.StatusBadRequest, tt.errorCode, tt.message)
		})
	}
}
