package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// TestUserIDPath: the {id} of GET, PATCH and DELETE /users/{id} is checked
// by the one user_id rule, with its message (issue 20: the path allowed 300
// characters and its message showed ^.+\|.+$ while it tested another
// pattern).
func TestUserIDPath(t *testing.T) {
	url, id := rulesServer(t)
	pattern := func(id string) string {
		return "Path validation error: 'String does not match pattern " + userport.UserIDPattern + ": " + id + "' on property id (Id of the user)."
	}
	long := "auth0|" + strings.Repeat("a", 250)
	tests := []struct {
		path   string
		status int
		msg    string
	}{
		{id, http.StatusOK, ""},
		{"google-oauth2%7C123", http.StatusNotFound, "The user does not exist."},
		{"nopipe", http.StatusBadRequest, pattern("nopipe")},
		{"auth0%7C", http.StatusBadRequest, pattern("auth0|")},
		{"%7Cabc", http.StatusBadRequest, pattern("|abc")},
		{"auth0%7Ca%20b", http.StatusBadRequest, pattern("auth0|a b")},
		{"samlp%7Cc%7Cu", http.StatusBadRequest, pattern("samlp|c|u")},
		{long, http.StatusBadRequest, "Path validation error: 'String is too long (256 chars), maximum 255' on property id (Id of the user)."},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
			if tt.status != http.StatusBadRequest && method != http.MethodGet {
				continue
			}
			t.Run(method+" "+tt.path[:min(len(tt.path), 20)], func(t *testing.T) {
				status, e := rulesSend(t, method, url+"/api/v2/users/"+tt.path, `{"name":"x"}`)
				if status != tt.status || e.Message != tt.msg {
					t.Errorf("%d %q, want %d %q", status, e.Message, tt.status, tt.msg)
				}
				if status == http.StatusBadRequest && e.ErrorCode != "invalid_uri" {
					t.Errorf("errorCode %q, want invalid_uri", e.ErrorCode)
				}
			})
		}
	}
}

// TestRulesInBodies: the domain's rules answer the same 400s in bodies: the
// user_id rule (whole id at most 255 characters, however given), the
// password limit, the connection-name rule.
func TestRulesInBodies(t *testing.T) {
	url, _ := rulesServer(t)
	user := func(extra string) string {
		return `{"connection":"` + userport.DefaultConnectionName + `","email":"r@example.com","password":"correct horse"` + extra + `}`
	}
	tests := []struct {
		name, path, body string
		status           int
		code, msg        string
	}{
		{"user_id too long without its prefix", "/api/v2/users", user(`,"user_id":"` + strings.Repeat("a", 250) + `"`),
			400, "invalid_body", "Payload validation error: 'String is too long (256 chars), maximum 255' on property user_id."},
		{"user_id of another provider", "/api/v2/users", user(`,"user_id":"google|1"`),
			400, "invalid_body", "Payload validation error: 'String does not match pattern " + userport.UserIDPattern + ": google|1' on property user_id."},
		{"password over the limit", "/api/v2/users", `{"connection":"` + userport.DefaultConnectionName + `","email":"p@example.com","password":"` +
			strings.Repeat("p", userport.MaxPasswordBytes+1) + `"}`, 400, "invalid_password", "PasswordStrengthError: Password is too long"},
		{"password at the limit", "/api/v2/users", `{"connection":"` + userport.DefaultConnectionName + `","email":"q@example.com","password":"` +
			strings.Repeat("p", userport.MaxPasswordBytes) + `"}`, 201, "", ""},
		{"connection name with a space", "/api/v2/connections", `{"name":"bad name","strategy":"auth0"}`,
			400, "invalid_body", "Payload validation error: 'String does not match pattern " + userport.ConnectionNamePattern + ": bad name' on property name."},
		{"connection name too long", "/api/v2/connections", `{"name":"` + strings.Repeat("n", userport.MaxConnectionNameLength+1) + `","strategy":"auth0"}`,
			400, "invalid_body", "Payload validation error: 'String is too long (129 chars), maximum 128' on property name."},
		{"connection name fits", "/api/v2/connections", `{"name":"good-name-1","strategy":"auth0"}`, 201, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := rulesSend(t, http.MethodPost, url+tt.path, tt.body)
			if status != tt.status || e.ErrorCode != tt.code || e.Message != tt.msg {
				t.Errorf("%d %s %q, want %d %s %q", status, e.ErrorCode, e.Message, tt.status, tt.code, tt.msg)
			}
		})
	}
}

// TestOpenAPIRules: the OpenAPI document states the user_id rule the path
// is checked by and the connection-name rule.
func TestOpenAPIRules(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				ConnectionCreate struct {
					Properties struct {
						Name struct {
							Pattern   string `json:"pattern"`
							MaxLength int    `json:"maxLength"`
						} `json:"name"`
					} `json:"properties"`
				} `json:"ConnectionCreate"`
			} `json:"schemas"`
			Parameters struct {
				UserID struct {
					Schema struct {
						Pattern   string `json:"pattern"`
						MaxLength int    `json:"maxLength"`
					} `json:"schema"`
				} `json:"userId"`
			} `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	a, _ := userport.ProfileAttribute("user_id")
	if s := doc.Components.Parameters.UserID.Schema; s.Pattern != userport.UserIDPattern || s.MaxLength != a.MaxLen {
		t.Errorf("openapi.json's user id: pattern %q, maxLength %d; the rule: %q, %d", s.Pattern, s.MaxLength, userport.UserIDPattern, a.MaxLen)
	}
	if s := doc.Components.Schemas.ConnectionCreate.Properties.Name; s.Pattern != userport.ConnectionNamePattern || s.MaxLength != userport.MaxConnectionNameLength {
		t.Errorf("openapi.json's connection name: pattern %q, maxLength %d; the rule: %q, %d", s.Pattern, s.MaxLength, userport.ConnectionNamePattern, userport.MaxConnectionNameLength)
	}
}
