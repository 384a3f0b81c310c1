package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/userport/userport"
)

// connectionBody is a connection as the Management API shows it, its keys in
// Auth0's order (recorded).
type connectionBody struct {
	ID                 string          `json:"id"`
	Options            json.RawMessage `json:"options"`
	Strategy           string          `json:"strategy"`
	Name               string          `json:"name"`
	IsDomainConnection bool            `json:"is_domain_connection"`
	EnabledClients     []string        `json:"enabled_clients"`
	Realms             []string        `json:"realms"`
}

// connectionJSON renders c.
func connectionJSON(c *userport.Connection) connectionBody {
	options := c.Options
	if len(options) == 0 {
		options = json.RawMessage(`{}`)
	}
	return connectionBody{ID: c.ID, Name: c.Name, Strategy: c.Strategy, Options: options,
		EnabledClients: []string{}, Realms: []string{c.Name}}
}

// createConnection handles POST /api/v2/connections. userport knows the
// "auth0" (database) strategy only; options are kept, with Auth0's defaults
// added; enabled_clients and display_name are accepted for compatibility and
// not kept.
func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(w, r, "name", "strategy", "options", "enabled_clients", "display_name")
	if err != nil {
		return err
	}
	c := &userport.Connection{Tenant: s.Tenant, ID: userport.NewConnectionID(), CreatedAt: s.Clock.Now()}
	var display string
	var options json.RawMessage
	if err := firstError(o.require("name", "strategy"), o.str("name", &c.Name, userport.MaxConnectionNameLength),
		o.str("strategy", &c.Strategy, 0), o.str("display_name", &display, 128),
		o.jsonObject("options", &options), checkStrings(o, "enabled_clients")); err != nil {
		return err
	}
	if issue := userport.CheckConnectionName(c.Name); issue != nil {
		return issueError("name", issue)
	}
	if c.Strategy != "auth0" {
		return invalidBody("'No enum match for: %s' on property strategy (userport supports the auth0 strategy only).", userport.Excerpt(c.Strategy))
	}
	if c.Options, err = userport.ConnectionOptions(options); err != nil {
		return err
	}
	if err := s.Store.CreateConnection(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, connectionJSON(c))
	return nil
}

// connectionPatchKeys are the keys PATCH /api/v2/connections/{id} accepts:
// options are kept; the others are type-checked and not kept, as on create.
var connectionPatchKeys = []string{"options", "enabled_clients", "display_name", "is_domain_connection", "realms", "metadata"}

// updateConnection handles PATCH /api/v2/connections/{id}: the options given
// replace the old ones whole, Auth0's kept defaults added.
func (s *Server) updateConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := connectionIDParam(r)
	if err != nil {
		return err
	}
	o, err := readObject(w, r, connectionPatchKeys...)
	if err != nil {
		return err
	}
	var display string
	var options, metadata json.RawMessage
	var domain *bool
	if err := firstError(o.jsonObject("options", &options), o.str("display_name", &display, 128),
		checkStrings(o, "enabled_clients"), checkStrings(o, "realms"), o.boolean("is_domain_connection", &domain),
		o.jsonObject("metadata", &metadata)); err != nil {
		return err
	}
	c, err := s.Store.FindConnection(r.Context(), s.Tenant, id)
	if err != nil {
		return err
	}
	if o.has("options") {
		if c.Options, err = userport.UpdatedConnectionOptions(c.Options, options); err != nil {
			return err
		}
		if err := s.Store.UpdateConnection(r.Context(), c); err != nil {
			return err
		}
	}
	return s.writeConnection(w, r, http.StatusOK, c)
}

// deleteConnection handles DELETE /api/v2/connections/{id}: 202 with
// deleted_at, as Auth0 answers; the connection is gone at once and its
// users are purged in batches by the cleanup job. A connection that does
// not exist (any more) is 204.
func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := connectionIDParam(r)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	err = s.Store.DeleteConnection(r.Context(), s.Tenant, id, now)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		w.WriteHeader(http.StatusNoContent)
		return nil
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"deleted_at": userport.FormatTime(now)})
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

// connectionIDParam reads and checks the {id} path parameter.
func connectionIDParam(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !userport.ValidConnectionID(id) {
		return "", userport.Errorf(userport.EINVALID, "invalid_uri",
			"Path validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: %s' on property id.", userport.Excerpt(id))
	}
	return id, nil
}

// getConnection handles GET /api/v2/connections/{id}, with fields and
// include_fields.
func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := connectionIDParam(r)
	if err != nil {
		return err
	}
	c, err := s.Store.FindConnection(r.Context(), s.Tenant, id)
	if err != nil {
		return err
	}
	return s.writeConnection(w, r, http.StatusOK, c)
}

// writeConnection answers c, projected by the request's fields and
// include_fields.
func (s *Server) writeConnection(w http.ResponseWriter, r *http.Request, status int, c *userport.Connection) error {
	_, p, err := readQueryProjection(r)
	if err != nil {
		return err
	}
	body, err := connectionProjection(p).applyJSON(connectionJSON(c))
	if err != nil {
		return err
	}
	writeRaw(w, status, body)
	return nil
}

// listConnections handles GET /api/v2/connections with Auth0's offset paging
// (page, per_page, include_totals) and checkpoint paging (from, take).
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) error {
	q, proj, err := readQueryProjection(r, "page", "per_page", "include_totals", "strategy", "name", "from", "take")
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
	proj = connectionProjection(proj)
	items := make([]json.RawMessage, len(conns))
	for i, c := range conns {
		if items[i], err = proj.applyJSON(connectionJSON(c)); err != nil {
			return err
		}
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

// keptConnectionKeys are the keys of a connection Auth0 returns whatever
// fields and include_fields say (go-auth0 v1.27.0's recording of
// TestConnectionManager_List: fields=id&include_fields=true answers id and
// is_domain_connection).
var keptConnectionKeys = []string{"is_domain_connection"}

// connectionProjection is p with keptConnectionKeys always kept: included
// when p lists keys to include, never excluded.
func connectionProjection(p projection) projection {
	if len(p.keys) == 0 {
		return p
	}
	keys := slices.DeleteFunc(slices.Clone(p.keys), func(k string) bool { return slices.Contains(keptConnectionKeys, k) })
	if p.include {
		keys = append(keys, keptConnectionKeys...)
	}
	return projection{keys: keys, include: p.include}
}
