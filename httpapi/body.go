package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/userport/userport"
	"github.com/userport/userport/jsonstrict"
)

// maxJSONBody caps every JSON request body.
const maxJSONBody = 1 << 20

// object is a JSON object request body, its values kept raw until each is read
// with the type its key demands.
type object map[string]json.RawMessage

// invalidBody is the 400 invalid_body error, with Auth0's message prefix.
func invalidBody(format string, args ...any) error {
	return userport.Errorf(userport.EINVALID, "invalid_body", "Payload validation error: %s", fmt.Sprintf(format, args...))
}

// invalidQuery is the 400 invalid_query_string error.
func invalidQuery(format string, args ...any) error {
	return userport.Errorf(userport.EINVALID, "invalid_query_string", "Query validation error: %s", fmt.Sprintf(format, args...))
}

// readObject reads a JSON object body of at most maxJSONBody bytes whose keys
// are all in allowed.
func readObject(w http.ResponseWriter, r *http.Request, allowed ...string) (object, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, userport.Errorf(userport.ETOOLARGE, "", "Payload content length greater than maximum allowed: %d", maxJSONBody)
	} else if err != nil {
		return nil, invalidBody("'Could not read the request body'.")
	}
	return parseObject(data, allowed)
}

// parseObject decodes data as a JSON object and checks its keys.
func parseObject(data []byte, allowed []string) (object, error) {
	data = bytes.Trim(data, jsonSpace)
	if len(data) == 0 {
		return nil, invalidBody("'Expected type object but found type null'.")
	}
	if p := jsonProblem(data); p != "" {
		return nil, invalidBody("'%s'.", p)
	}
	if t := jsonType(data); t != "object" {
		return nil, invalidBody("'Expected type object but found type %s'.", t)
	}
	var o object
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, invalidBody("'Invalid JSON'.")
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		if !slices.Contains(allowed, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		return nil, invalidBody("'Additional properties not allowed: %s'.", userport.Excerpt(keys[0]))
	}
	return o, nil
}

// jsonSpace is JSON's white space (RFC 8259): what may stand around a
// body's value. Other white space (\v, \f, U+0085, ...) makes it invalid.
const jsonSpace = " \t\r\n"

// invalidJSON is jsonProblem's answer for a body that is not JSON at all.
const invalidJSON = "Invalid JSON"

// jsonProblem says why data is not a JSON text a request may carry, or is
// "": it is not valid JSON, or it is one that encoding/json would read
// silently changed (see jsonstrict): invalid UTF-8, a key twice in one
// object; or it nests deeper than jsonstrict.MaxDepth. The message names the
// first duplicated key by its path.
func jsonProblem(data []byte) string {
	if !json.Valid(data) {
		return invalidJSON
	}
	var dup *jsonstrict.DuplicateKeyError
	switch err := jsonstrict.Check(data); {
	case err == nil:
		return ""
	case errors.As(err, &dup):
		return "Duplicate property: " + userport.Excerpt(dup.Path)
	case errors.Is(err, jsonstrict.ErrInvalidUTF8):
		return "Invalid JSON: the body is not valid UTF-8"
	case errors.Is(err, jsonstrict.ErrTooDeep):
		return "Invalid JSON: " + err.Error()
	}
	return invalidJSON
}

// jsonType names the JSON type of a raw value as Auth0's validator does
// (userport.JSONType).
func jsonType(raw []byte) string { return string(userport.JSONType(raw)) }

// typeError is the message for a value of the wrong JSON type.
func typeError(prop, want string, raw []byte) error {
	return invalidBody("'Expected type %s but found type %s' on property %s.", want, jsonType(raw), prop)
}

// has reports whether key is present (even as null).
func (o object) has(key string) bool {
	_, ok := o[key]
	return ok
}

// isNull reports whether key is present with the value null.
func (o object) isNull(key string) bool {
	raw, ok := o[key]
	return ok && jsonType(raw) == "null"
}

// require fails unless every key is present.
func (o object) require(keys ...string) error {
	return o.requireAt("", keys...)
}

// requireAt is require for an object nested at property prefix.
func (o object) requireAt(prefix string, keys ...string) error {
	for _, k := range keys {
		if o.has(k) {
			continue
		}
		if prefix != "" {
			return invalidBody("'Missing required property: %s' on property %s.", k, prefix)
		}
		return invalidBody("'Missing required property: %s'.", k)
	}
	return nil
}

// str reads key as a string of 1 to maxLen characters into dst; absent keys
// leave dst alone.
func (o object) str(key string, dst *string, maxLen int) error {
	return o.strAt(key, key, dst, maxLen)
}

// strAt is str whose errors name the property prop (a nested object's key).
func (o object) strAt(key, prop string, dst *string, maxLen int) error {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	if jsonType(raw) != "string" {
		return typeError(prop, "string", raw)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return typeError(prop, "string", raw)
	}
	if issue := userport.CheckLength(s, maxLen); issue != nil {
		return issueError(prop, issue)
	}
	*dst = s
	return nil
}

// issueError is the 400 invalid_body error of a value of property prop that
// breaks a domain rule.
func issueError(prop string, issue *userport.AttrIssue) error {
	return invalidBody("'%s' on property %s.", issue.Message, prop)
}

// attr reads key as a string of the profile attribute of that name, its
// length and format checked as the domain's attribute table says; absent
// keys leave dst alone.
func (o object) attr(key string, dst *string) error {
	var v string
	if err := o.str(key, &v, 0); err != nil || !o.has(key) {
		return err
	}
	a, _ := userport.ProfileAttribute(key)
	if issue := a.CheckString(v); issue != nil {
		return issueError(key, issue)
	}
	*dst = v
	return nil
}

// boolean reads key as a boolean into dst; absent keys leave dst alone.
func (o object) boolean(key string, dst **bool) error {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	if jsonType(raw) != "boolean" {
		return typeError(key, "boolean", raw)
	}
	b := raw[0] == 't'
	*dst = &b
	return nil
}

// integer reads key as an integer >= min into dst; absent keys leave dst alone.
func (o object) integer(key string, dst *int, min int) error {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	if jsonType(raw) != "integer" {
		return typeError(key, "integer", raw)
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
	if err != nil {
		return invalidBody("'Integer is out of range' on property %s.", key)
	}
	if n < min {
		return invalidBody("'Value %d is less than minimum %d' on property %s.", n, min, key)
	}
	*dst = n
	return nil
}

// jsonObject reads key as a JSON object into dst; absent keys leave dst alone.
func (o object) jsonObject(key string, dst *json.RawMessage) error {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	if jsonType(raw) != "object" {
		return typeError(key, "object", raw)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return typeError(key, "object", raw)
	}
	*dst = buf.Bytes()
	return nil
}

// query is a request's query string checked against the allowed parameters.
type query struct{ url.Values }

// readQuery rejects parameters outside allowed and repeated parameters.
func readQuery(r *http.Request, allowed ...string) (query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, invalidQuery("'Malformed query string'.")
	}
	for k, vals := range v {
		if !slices.Contains(allowed, k) {
			return query{}, invalidQuery("'Additional properties not allowed: %s'.", userport.Excerpt(k))
		}
		if len(vals) > 1 {
			return query{}, invalidQuery("'Expected type %s but found type array' on property %s.", "string", k)
		}
	}
	return query{v}, nil
}

// integer reads an integer parameter in [min, max], or def when absent.
func (q query) integer(key string, def, min, max int) (int, error) {
	s := q.Get(key)
	if !q.Has(key) {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalidQuery("'Expected type integer but found type string' on property %s.", key)
	}
	if n < min {
		return 0, invalidQuery("'Value %d is less than minimum %d' on property %s.", n, min, key)
	}
	if max > 0 && n > max {
		return 0, invalidQuery("'Value %d is greater than maximum %d' on property %s.", n, max, key)
	}
	return n, nil
}

// boolean reads a boolean parameter ("true"/"false"), or false when absent.
func (q query) boolean(key string) (bool, error) {
	switch s := q.Get(key); {
	case !q.Has(key), s == "false":
		return false, nil
	case s == "true":
		return true, nil
	}
	return false, invalidQuery("'Expected type boolean but found type string' on property %s.", key)
}
