package httpapi_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
)

// allScopes is the scope string of an unnarrowed admin token.
var allScopes = strings.Join(auth.AllScopes(), " ")

func TestTokenClientAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t)
	form := func(withSecret bool) string {
		v := url.Values{"grant_type": {"client_credentials"}, "audience": {b.audience()}}
		if withSecret {
			v.Set("client_id", adminID)
			v.Set("client_secret", adminSecret)
		}
		return v.Encode()
	}
	jsonBody := func(withSecret bool) string {
		m := map[string]string{"grant_type": "client_credentials", "audience": b.audience()}
		if withSecret {
			m["client_id"], m["client_secret"] = adminID, adminSecret
		}
		return mustJSON(t, m)
	}
	const formType, jsonType = "application/x-www-form-urlencoded", "application/json"
	tests := []struct {
		name        string
		contentType string
		body        string
		basic       bool
	}{
		{"basic, form", formType, form(false), true},
		{"basic, JSON", jsonType, jsonBody(false), true},
		{"basic, the same client_id in the body", formType, form(false) + "&client_id=" + url.QueryEscape(adminID), true},
		{"post, form", formType, form(true), false},
		{"post, JSON", jsonType, jsonBody(true), false},
		{"post, JSON with charset", jsonType + "; charset=utf-8", jsonBody(true), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, b.base+"/oauth/token", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.contentType)
			if tt.basic {
				req.SetBasicAuth(url.QueryEscape(adminID), url.QueryEscape(adminSecret))
			}
			r := b.send(req)
			checkTokenResponse(t, b, r, adminID, allScopes)
		})
	}
}

// checkTokenResponse checks a successful /oauth/token answer of the client
// id, the token's header and claims, and that the token works.
func checkTokenResponse(t *testing.T, b *env, r *response, id, scope string) {
	t.Helper()
	tok := testutil.CheckTokenAnswer(t, r.status, r.header, r.body, testutil.TokenWant{Issuer: b.base + "/",
		Audience: b.audience(), Tenant: b.tenant, KeyID: b.Server.Keys.SigningKeyID(), ClientID: id, Scope: scope, Now: b.Clock.Now()})
	b.api(http.MethodGet, "/connections", tok, nil).wantStatus(t, http.StatusOK)
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := func(changes ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID},
			"client_secret": {adminSecret}, "audience": {b.audience()}}
		for i := 0; i+1 < len(changes); i += 2 {
			if changes[i+1] == "" {
				v.Del(changes[i])
			} else {
				v.Set(changes[i], changes[i+1])
			}
		}
		return v
	}
	formReq := func(v url.Values) func() *response {
		return func() *response { return b.tokenForm(v) }
	}
	const badClient = "Unauthorized" // Auth0's answer (docs/api.md)
	tests := []struct {
		name   string
		send   func() *response
		status int
		code   string
		desc   string
	}{
		{"wrong secret", formReq(good("client_secret", "wrong")), 401, "access_denied", badClient},
		{"wrong secret, basic", func() *response {
			return b.tokenForm(good("client_id", "", "client_secret", ""), "Authorization", basic(adminID, "wrong"))
		}, 401, "access_denied", badClient},
		{"unknown client", formReq(good("client_id", "nobody")), 401, "access_denied", badClient},
		{"unknown client, basic", func() *response {
			return b.tokenForm(good("client_id", "", "client_secret", ""), "Authorization", basic("nobody", adminSecret))
		}, 401, "access_denied", badClient},
		{"no credentials", formReq(good("client_id", "", "client_secret", "")), 401, "access_denied", badClient},
		{"no secret", formReq(good("client_secret", "")), 401, "access_denied", badClient},
		{"missing grant_type", formReq(good("grant_type", "")), 400, "invalid_request", "Missing required parameter: grant_type"},
		{"password grant", formReq(good("grant_type", "password")), 400, "unsupported_grant_type", "Unsupported grant type: password"},
		{"authorization_code grant", formReq(good("grant_type", "authorization_code")), 400, "unsupported_grant_type", "Unsupported grant type: authorization_code"},
		{"wrong audience", formReq(good("audience", "https://example.com/api/v2/")), 403, "access_denied", "Service not found: https://example.com/api/v2/"},
		{"wrong audience path", formReq(good("audience", b.base+"/api/v1/")), 403, "access_denied", "Service not found: " + b.base + "/api/v1/"},
		{"audience not a URL", formReq(good("audience", "management")), 403, "access_denied", "Service not found: management"},
		{"no audience", formReq(good("audience", "")), 403, "access_denied", "No audience parameter was provided, and no default audience has been configured"},
		{"unknown scope", formReq(good("scope", "read:users foo:bar")), 403, "access_denied", "Client has not been granted scopes: foo:bar"},
		{"malformed JSON", func() *response {
			return b.request(http.MethodPost, "/oauth/token", `{"grant_type":`)
		}, 400, "invalid_request", "The request body could not be parsed"},
		{"JSON array", func() *response {
			return b.request(http.MethodPost, "/oauth/token", `[]`)
		}, 400, "invalid_request", "The request body could not be parsed"},
		{"JSON number grant_type", func() *response {
			return b.request(http.MethodPost, "/oauth/token", `{"grant_type":1}`)
		}, 400, "invalid_request", "Invalid parameter: grant_type must be a string"},
		{"oversized form", func() *response {
			return b.tokenForm(good("audience", strings.Repeat("a", 64<<10)))
		}, 413, "invalid_request", "The request body is larger than 65536 bytes"},
		{"oversized JSON", func() *response {
			return b.request(http.MethodPost, "/oauth/token", `{"grant_type":"client_credentials"}`+strings.Repeat(" ", 64<<10))
		}, 413, "invalid_request", "The request body is larger than 65536 bytes"},
		{"JSON with trailing data", func() *response {
			return b.request(http.MethodPost, "/oauth/token", mustJSON(t, map[string]string{"grant_type": "client_credentials"})+`{}`)
		}, 400, "invalid_request", "The request body could not be parsed"},
		{"secret in Basic and in the body", func() *response {
			return b.tokenForm(good(), "Authorization", basic(adminID, adminSecret))
		}, 400, "invalid_request", "Use one client authentication method: HTTP Basic or client_secret in the body, not both"},
		{"Basic, another client_id in the body", func() *response {
			return b.tokenForm(good("client_id", "nobody", "client_secret", ""), "Authorization", basic(adminID, adminSecret))
		}, 400, "invalid_request", "client_id does not match the HTTP Basic credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.send().wantOAuthError(t, tt.status, tt.code, tt.desc)
		})
	}
}

// basic returns an HTTP Basic Authorization value (RFC 6749 2.3.1 encoding).
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func TestTokenAudience(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u, err := url.Parse(b.base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		audience string
		host     string // the Host header the client used; "" for the listener's
		ok       bool
	}{
		{"public URL", b.audience(), "", true},
		{"other scheme", "https://" + u.Host + "/api/v2/", "", true},
		{"without trailing slash", b.base + "/api/v2", "", true},
		{"host the client used", "https://userport.example.com/api/v2/", "userport.example.com", true},
		{"host the client used, http", "http://userport.example.com/api/v2/", "userport.example.com", true},
		{"foreign host", "https://userport.example.com/api/v2/", "", false},
		{"other port", "http://" + u.Hostname() + ":1/api/v2/", "", false},
		{"query", b.audience() + "?x=1", "", false},
		{"other scheme entirely", "ftp://" + u.Host + "/api/v2/", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID},
				"client_secret": {adminSecret}, "audience": {tt.audience}}
			var headers []string
			if tt.host != "" {
				headers = []string{"Host", tt.host}
			}
			r := b.tokenForm(v, headers...)
			if tt.ok {
				checkTokenResponse(t, b, r, adminID, allScopes)
				return
			}
			r.wantOAuthError(t, 403, "access_denied", "Service not found: "+tt.audience)
		})
	}
}

func TestTokenNarrowedScopes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID},
		"client_secret": {adminSecret}, "audience": {b.audience()}, "scope": {"read:users read:connections"}}
	r := b.tokenForm(v)
	checkTokenResponse(t, b, r, adminID, "read:users read:connections")
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	r.decode(t, &tr)
	b.api(http.MethodGet, "/users", tr.AccessToken, nil).want(t, 200, `[]`)
	b.api(http.MethodPost, "/users", tr.AccessToken, map[string]any{"connection": upa}).
		wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: create:users")
	b.api(http.MethodPost, "/connections", tr.AccessToken, map[string]any{"name": "x", "strategy": "auth0"}).
		wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: create:connections")
	if n := b.connectionCount(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestTokenUngrantedScope(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := &userport.Client{Tenant: "dev", ID: "reader", Name: "reader", SecretHash: auth.HashSecret("reader-secret"),
		Scopes: []string{auth.ScopeReadUsers, auth.ScopeReadConnections}, CreatedAt: b.Clock.Now()}
	must(t, b.Store.PutClient(b.ctx(), c))
	ask := func(scope string) *response {
		v := url.Values{"grant_type": {"client_credentials"}, "audience": {b.audience()}}
		if scope != "" {
			v.Set("scope", scope)
		}
		return b.tokenForm(v, "Authorization", basic("reader", "reader-secret"))
	}
	checkTokenResponse(t, b, ask(""), "reader", "read:users read:connections")
	checkTokenResponse(t, b, ask("read:connections"), "reader", "read:connections")
	ask("read:users create:users").wantOAuthError(t, 403, "access_denied", "Client has not been granted scopes: create:users")
	ask("delete:users read:users update:users").wantOAuthError(t, 403, "access_denied", "Client has not been granted scopes: delete:users,update:users")
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.request(http.MethodGet, "/.well-known/jwks.json", nil)
	key := sharedKey(t)
	kid := b.Server.Keys.SigningKeyID()
	want := mustJSON(t, map[string]any{"keys": []any{map[string]any{"kty": "RSA", "use": "sig", "alg": "RS256",
		"kid": kid, "n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": "AQAB"}}})
	r.want(t, http.StatusOK, want)

	// The token's kid names the published key, and the published key checks
	// the token's signature.
	tok := b.token()
	header, _ := testutil.TokenParts(t, tok)
	if header["kid"] != kid {
		t.Fatalf("token kid = %v, want %s", header["kid"], kid)
	}
	var set struct {
		Keys []struct{ N, E string }
	}
	r.decode(t, &set)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(b64(t, set.Keys[0].N)), E: int(new(big.Int).SetBytes(b64(t, set.Keys[0].E)).Int64())}
	i := strings.LastIndexByte(tok, '.')
	sum := sha256.Sum256([]byte(tok[:i]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], b64(t, tok[i+1:])); err != nil {
		t.Fatalf("token signature does not verify with the JWKS key: %v", err)
	}
}

// b64 decodes base64url without padding.
func b64(t *testing.T, s string) []byte {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64url %q: %v", s, err)
	}
	return data
}

// routes are every /api/v2 route with the scopes it takes (any of them), a
// request that passes the scope check, and the status of that request.
var routes = []struct {
	method, path string
	scopes       []string
	body         any
	status       int
}{
	{"GET", "/users", []string{auth.ScopeReadUsers}, nil, 200},
	{"POST", "/users", []string{auth.ScopeCreateUsers}, map[string]any{}, 400},
	{"GET", "/users/auth0|000000000000000000000000", []string{auth.ScopeReadUsers}, nil, 404},
	{"PATCH", "/users/auth0|000000000000000000000000", []string{auth.ScopeUpdateUsers}, map[string]any{"name": "x"}, 404},
	{"DELETE", "/users/auth0|000000000000000000000000", []string{auth.ScopeDeleteUsers}, nil, 204},
	{"GET", "/users-by-email?email=a%40example.com", []string{auth.ScopeReadUsers}, nil, 200},
	{"GET", "/connections", []string{auth.ScopeReadConnections}, nil, 200},
	{"POST", "/connections", []string{auth.ScopeCreateConnections}, map[string]any{}, 400},
	{"GET", "/connections/con_0000000000000000", []string{auth.ScopeReadConnections}, nil, 404},
	{"PATCH", "/connections/con_0000000000000000", []string{auth.ScopeUpdateConnections}, map[string]any{"options": map[string]any{}}, 404},
	{"DELETE", "/connections/con_0000000000000000", []string{auth.ScopeDeleteConnections}, nil, 204},
	{"POST", "/jobs/users-exports", []string{auth.ScopeReadUsers}, map[string]any{"format": "json"}, 200},
	{"GET", "/jobs", []string{auth.ScopeReadUsers}, nil, 200},
	{"GET", "/jobs/job_0000000000000000", []string{auth.ScopeReadUsers, auth.ScopeCreateUsers}, nil, 404},
	{"POST", "/jobs/users-imports", []string{auth.ScopeCreateUsers}, map[string]any{}, 400},
	{"GET", "/jobs/job_0000000000000000/errors", []string{auth.ScopeCreateUsers, auth.ScopeReadUsers}, nil, 404},
	{"GET", "/jobs/job_0000000000000000/manifest", []string{auth.ScopeReadUsers}, nil, 404},
	{"POST", "/job-webhooks", []string{auth.ScopeCreateJobWebhooks}, map[string]any{}, 400},
	{"GET", "/job-webhooks", []string{auth.ScopeReadJobWebhooks}, nil, 200},
	{"DELETE", "/job-webhooks/whk_0000000000000000", []string{auth.ScopeDeleteJobWebhooks}, nil, 404},
	{"POST", "/job-webhooks/whk_0000000000000000/rotate", []string{auth.ScopeUpdateJobWebhooks}, nil, 404},
	{"GET", "/job-webhooks/whk_0000000000000000/deliveries", []string{auth.ScopeReadJobWebhooks}, nil, 404},
}

// TestScopes sends each route a token with every scope but the route's, then
// one with each of the route's scopes alone.
func TestScopes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			others := slices.DeleteFunc(auth.AllScopes(), func(s string) bool { return slices.Contains(rt.scopes, s) })
			b.api(rt.method, rt.path, b.token(others...), rt.body).
				wantError(t, 403, "insufficient_scope", "Insufficient scope, expected any of: "+strings.Join(rt.scopes, ","))
			for _, scope := range rt.scopes {
				if got := b.api(rt.method, rt.path, b.token(scope), rt.body); got.status != rt.status {
					t.Fatalf("with only %s: status %d, want %d; body %s", scope, got.status, rt.status, got.body)
				}
			}
		})
	}
}

// TestScopesCoverEveryRoute checks that routes (TestScopes) sends a request
// to every /api/v2 route the server serves but the public OpenAPI document.
func TestScopesCoverEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mux := http.NewServeMux()
	for _, pattern := range b.Server.Routes() {
		mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	}
	covered := map[string]bool{}
	for _, rt := range routes {
		_, pattern := mux.Handler(httptest.NewRequest(rt.method, "/api/v2"+rt.path, nil))
		covered[pattern] = true
	}
	for _, pattern := range b.Server.Routes() {
		if strings.Contains(pattern, " /api/v2/") && pattern != "GET /api/v2/openapi.json" && !covered[pattern] {
			t.Errorf("route %s has no row in routes: its scopes are not tested", pattern)
		}
	}
}

func TestAuthorizationHeader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.token()
	tests := []struct {
		name   string
		header string // "" for none
		status int
		code   string
		msg    string
	}{
		{"missing", "", 401, "", "Missing authentication"},
		{"basic", "Basic eDp5", 400, "Bearer", "Bad HTTP authentication header format"},
		{"basic x", "Basic x", 400, "Bearer", "Bad HTTP authentication header format"},
		{"bearer without token", "Bearer", 400, "Bearer", "Bad HTTP authentication header format"},
		{"bearer with two tokens", "Bearer " + tok + " " + tok, 400, "Bearer", "Bad HTTP authentication header format"},
		{"token without scheme", tok, 400, "Bearer", "Bad HTTP authentication header format"},
		{"bearer garbage", "Bearer abc", 401, "", "Invalid token"},
		{"lower-case scheme", "bearer " + tok, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *response
			if tt.header == "" {
				r = b.request(http.MethodGet, "/api/v2/users", nil)
			} else {
				r = b.request(http.MethodGet, "/api/v2/users", nil, "Authorization", tt.header)
			}
			if tt.status == 200 {
				r.want(t, 200, `[]`)
				return
			}
			r.wantError(t, tt.status, tt.code, tt.msg)
		})
	}
}

// encodeJSONPart encodes one part of a compact JWS.
func encodeJSONPart(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// TestTokenJSONBodyChecks sends JSON token requests with a key given twice
// or invalid UTF-8.
func TestTokenJSONBodyChecks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const parse = "The request body could not be parsed: "
	for _, tt := range []struct{ name, body, desc string }{
		{"duplicate client_id", `{"grant_type":"client_credentials","client_id":"` + adminID + `","client_id":"other",` +
			`"client_secret":"` + adminSecret + `","audience":"` + b.audience() + `"}`, parse + "Duplicate property: client_id"},
		{"invalid UTF-8", "{\"grant_type\":\"client_credentials\",\"scope\":\"\xff\"}", parse + "Invalid JSON: the body is not valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.request(http.MethodPost, "/oauth/token", tt.body).wantOAuthError(t, 400, "invalid_request", tt.desc)
		})
	}
}

// clientToken asks /oauth/token for a token of the client id with secret,
// with every scope it was granted.
func (e *env) clientToken(id, secret string) string {
	e.t.Helper()
	r := e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
		"client_secret": {secret}, "audience": {e.audience()}})
	r.wantStatus(e.t, http.StatusOK)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	r.decode(e.t, &tr)
	return tr.AccessToken
}

// sharedKey is the signing key of every test server (testutil.SharedKeyPEM).
func sharedKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(testutil.SharedKeyPEM())
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	must(t, err)
	return k.(*rsa.PrivateKey)
}

// foreignKey is an RSA key that no server knows.
var foreignKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})
