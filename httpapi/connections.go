package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/userport/userport"
)

// connectionNamePattern is Auth0's rule for connection names.
var connectionNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?$`)

// connectionBody is a connection as the Management API shows it.
type connectionBody struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name"`
	Strategy           string         `json:"strategy"`
	Options            map[string]any `json:"options"`
	EnabledClients     []string       `json:"enabled_clients"`
	IsDomainConnection bool           `json:"is_domain_connection"`
	Realms             []string       `json:"realms"`
}

// connectionJSON renders c.
func connectionJSON(c *userport.Connection) connectionBody {
	return connectionBody{ID: c.ID, Name: c.Name, Strategy: c.Strategy, Options: map[string]any{},
		EnabledClients: []string{}, Realms: []string{c.Name}}
}

// createConnection handles POST /api/v2/connections. userport knows the
// "auth0" (database) strategy only; options and enabled_clients are accepted
// for compatibility and not kept.
func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(w, r, "name", "strategy", "options", "enabled_clients", "display_name")
	if err != nil {
		return err
	}
	c := &userport.Connection{Tenant: s.Tenant, ID: userport.NewConnectionID(), CreatedAt: s.Clock.Now()}
	var display string
	var options json.RawMessage
	if err := firstError(o.require("name", "strategy"), o.str("name", &c.Name, 128),
		o.str("strategy", &c.Strategy, 0), o.str("display_name", &display, 128),
		o.jsonObject("options", &options), checkStrings(o, "enabled_clients")); err != nil {
		return err
	}
	if !connectionNamePattern.MatchString(c.Name) {
		return invalidBody("'String does not match pattern ^[a-zA-Z0-9](?:[a-zA-Z0-9\\-]*[a-zA-Z0-9])?$: %s' on property name.", userport.Excerpt(c.Name))
	}
	if c.Strategy != "auth0" {
		return invalidBody("'No enum match for: %s' on property strategy (userport supports the auth0 strategy only).", userport.Excerpt(c.Strategy))
	}
	if err := s.Store.CreateConnection(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, connectionJSON(c))
	return nil
}

// checkStrings fails unless key is absent or an array of strings.
func checkStrings(o object, key string) error {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	var v []string
	if jsonType(raw) != "array" || json.Unmarshal(raw, &v) != nil {
		return typeError(key, "array of strings", raw)
	}
	return nil
}

// getConnection handles GET /api/v2/connections/{id}.
func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !userport.ValidConnectionID(id) {
		return userport.Errorf(userport.EINVALID, "invalid_uri",
			"Path validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: %s' on property id.", userport.Excerpt(id))
	}
	c, err := s.Store.FindConnection(r.Context(), s.Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, connectionJSON(c))
	return nil
}

// listConnections handles GET /api/v2/connections with Auth0's offset paging
// (page, per_page, include_totals) and checkpoint paging (from, take).
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) error {
	q, err := readQuery(r, "page", "per_page", "include_totals", "strategy", "name", "from", "take")
	if err != nil {
		return err
	}
	page, perPage, totals, err := readPaging(q)
	if err != nil {
		return err
	}
	take, err := q.integer("take", 50, 1, 100)
	if err != nil {
		return err
	}
	checkpoint := q.Has("from") || q.Has("take")
	f := userport.ConnectionFilter{Tenant: s.Tenant, Name: q.Get("name"), Offset: page * perPage, Limit: perPage}
	if checkpoint {
		// One more than asked for tells whether there is a next page.
		f.Offset, f.From, f.Limit = 0, q.Get("from"), take+1
	}
	conns, total, err := s.connectionsOf(r, q.Get("strategy"), f)
	if err != nil {
		return err
	}
	next := ""
	if checkpoint && len(conns) > take {
		conns = conns[:take]
		next = conns[take-1].ID
	}
	items := make([]connectionBody, len(conns))
	for i, c := range conns {
		items[i] = connectionJSON(c)
	}
	switch {
	case checkpoint:
		body := map[string]any{"connections": items}
		if next != "" {
			body["next"] = next
		}
		writeJSON(w, http.StatusOK, body)
	case totals:
		writeJSON(w, http.StatusOK, pageOf("connections", f.Offset, perPage, len(items), total, items))
	default:
		writeJSON(w, http.StatusOK, items)
	}
	return nil
}

// connectionsOf lists connections; a strategy other than auth0 has none.
func (s *Server) connectionsOf(r *http.Request, strategy string, f userport.ConnectionFilter) ([]*userport.Connection, int, error) {
	if strategy != "" && strategy != "auth0" {
		return nil, 0, nil
	}
	return s.Store.ListConnections(r.Context(), f)
}
