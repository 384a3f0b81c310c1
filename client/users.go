package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// UserQuery asks GET /api/v2/users for a page of users: all of them, or
// those Q matches (Auth0's user search, v3 syntax).
type UserQuery struct {
	Q       string // a search query (email:"jane@example.com"); "" for every user
	Page    int    // the page, from 0
	PerPage int    // users per page; 0: the server's default (50)
}

// UserPage is a page of users with where it is in the list: GET
// /api/v2/users with include_totals=true. Each user is as the API shows it.
type UserPage struct {
	Start  int               `json:"start"`
	Limit  int               `json:"limit"`
	Length int               `json:"length"`
	Total  int               `json:"total"`
	Users  []json.RawMessage `json:"users"`
}

// Users reads the page of users q asks for.
func (c *Client) Users(ctx context.Context, q UserQuery) (*UserPage, error) {
	v := url.Values{"page": {strconv.Itoa(q.Page)}, "include_totals": {"true"}}
	if q.PerPage > 0 {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	if q.Q != "" {
		v.Set("q", q.Q)
		v.Set("search_engine", "v3")
	}
	var p UserPage
	if err := c.api(ctx, http.MethodGet, "/users", v, nil, http.StatusOK, &p); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return &p, nil
}

// User reads the user id, as GET /api/v2/users/{id} shows it.
func (c *Client) User(ctx context.Context, id string) (json.RawMessage, error) {
	var u json.RawMessage
	if err := c.api(ctx, http.MethodGet, "/users/"+url.PathEscape(id), nil, nil, http.StatusOK, &u); err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}
