package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/userport/userport"
)

// fieldsParams are the query parameters that choose the keys of the
// objects an answer lists: Auth0's fields (comma-separated) and
// include_fields (true: only those, the default; false: all but those).
var fieldsParams = []string{"fields", "include_fields"}

// projection is what fields and include_fields asked for; the zero value
// keeps every key.
type projection struct {
	keys    []string
	include bool
}

// readQueryProjection reads a query string of the allowed parameters plus
// fields and include_fields, and the projection those ask for.
func readQueryProjection(r *http.Request, allowed ...string) (query, projection, error) {
	q, err := readQuery(r, append(allowed, fieldsParams...)...)
	if err != nil {
		return q, projection{}, err
	}
	p, err := readProjection(q)
	return q, p, err
}

// readProjection reads fields and include_fields.
func readProjection(q query) (projection, error) {
	include := true
	if q.Has("include_fields") {
		var err error
		if include, err = q.boolean("include_fields"); err != nil {
			return projection{}, err
		}
	}
	var keys []string
	for k := range strings.SplitSeq(q.Get("fields"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return projection{keys: keys, include: include}, nil
}

// apply returns obj (a JSON object) with the keys p selects.
func (p projection) apply(obj []byte) ([]byte, error) {
	if len(p.keys) == 0 {
		return obj, nil
	}
	return userport.SelectMembers(obj, p.keys, p.include)
}

// applyJSON encodes v (an object) and applies p.
func (p projection) applyJSON(v any) (json.RawMessage, error) {
	raw, err := userport.EncodeValue(v)
	if err != nil {
		return nil, err
	}
	return p.apply(raw)
}
