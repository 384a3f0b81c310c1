package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// tokenRequest is the client-credentials grant, from a JSON or form body.
type tokenRequest struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	Audience     string
	Scope        string
}

// tokenResponse is the successful answer of /oauth/token.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthErr builds an /oauth/token error whose Detail is the OAuth `error`.
func oauthErr(code, oauthCode, msg string) error {
	return &userport.Error{Code: code, Detail: oauthCode, Message: msg}
}

// token issues an access token for the client-credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	resp, err := s.issueToken(w, r)
	if err != nil {
		s.writeOAuthError(w, r, stalled(w, r, err, "invalid_request"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// issueToken authenticates the client and signs its token.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) (*tokenResponse, error) {
	req, err := readTokenRequest(w, r)
	if err != nil {
		return nil, err
	}
	if req.GrantType == "" {
		return nil, oauthErr(userport.EINVALID, "invalid_request", "Missing required parameter: grant_type")
	} else if req.GrantType != "client_credentials" {
		return nil, oauthErr(userport.EINVALID, "unsupported_grant_type", "Unsupported grant type: "+req.GrantType)
	}
	client, err := s.authenticateClient(w, r, req)
	if err != nil {
		return nil, err
	}
	if req.Audience == "" {
		return nil, oauthErr(userport.EFORBIDDEN, "access_denied", "No audience parameter was provided, and no default audience has been configured")
	} else if !s.acceptedAudience(r, req.Audience) {
		return nil, oauthErr(userport.EFORBIDDEN, "access_denied", "Service not found: "+req.Audience)
	}
	scopes, err := grantedScopes(client, req.Scope)
	if err != nil {
		return nil, err
	}
	token, expiresIn, err := s.Issuer.Issue(client.ID, scopes)
	if err != nil {
		return nil, err
	}
	return &tokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: expiresIn, Scope: strings.Join(scopes, " ")}, nil
}

// maxTokenBody caps a token request body; its few parameters need far less.
const maxTokenBody = 64 << 10

// errUnparsable is the answer to a token request body that is not what its
// Content-Type says.
var errUnparsable = oauthErr(userport.EINVALID, "invalid_request", "The request body could not be parsed")

// readTokenRequest parses a JSON or form-encoded token request of at most
// maxTokenBody bytes (a larger one is 413). A body of another type is ignored.
func readTokenRequest(w http.ResponseWriter, r *http.Request) (*tokenRequest, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, oauthErr(userport.ETOOLARGE, "invalid_request", fmt.Sprintf("The request body is larger than %d bytes", maxTokenBody))
	} else if err != nil {
		return nil, oauthErr(userport.EINVALID, "invalid_request", "The request body could not be read")
	}
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt {
	case "application/json":
		return parseTokenJSON(data)
	case "application/x-www-form-urlencoded":
	default:
		data = nil
	}
	f, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, errUnparsable
	}
	return &tokenRequest{GrantType: f.Get("grant_type"), ClientID: f.Get("client_id"),
		ClientSecret: f.Get("client_secret"), Audience: f.Get("audience"), Scope: f.Get("scope")}, nil
}

// parseTokenJSON parses a JSON token request whose values are all strings.
func parseTokenJSON(data []byte) (*tokenRequest, error) {
	if p := jsonProblem(data); p != "" && p != invalidJSON {
		return nil, oauthErr(userport.EINVALID, "invalid_request", "The request body could not be parsed: "+p)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, errUnparsable
	}
	get := func(k string) (string, error) {
		v, ok := m[k]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", oauthErr(userport.EINVALID, "invalid_request", "Invalid parameter: "+k+" must be a string")
		}
		return s, nil
	}
	var req tokenRequest
	for _, f := range []struct {
		key string
		dst *string
	}{{"grant_type", &req.GrantType}, {"client_id", &req.ClientID}, {"client_secret", &req.ClientSecret},
		{"audience", &req.Audience}, {"scope", &req.Scope}} {
		v, err := get(f.key)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	return &req, nil
}

// authenticateClient checks the client's credentials, from HTTP Basic
// (client_secret_basic) or the body (client_secret_post), never both (RFC
// 6749 2.3: one method per request). With Basic, a client_id in the body must
// name the same client. Failures count against the client id's and the remote
// address's limits (ratelimit.go).
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, req *tokenRequest) (*userport.Client, error) {
	id, secret := req.ClientID, req.ClientSecret
	if user, pass, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: Basic credentials are form-url-encoded first.
		id, secret = unescapeBasic(user), unescapeBasic(pass)
		if req.ClientSecret != "" {
			return nil, oauthErr(userport.EINVALID, "invalid_request",
				"Use one client authentication method: HTTP Basic or client_secret in the body, not both")
		} else if req.ClientID != "" && req.ClientID != id {
			return nil, oauthErr(userport.EINVALID, "invalid_request", "client_id does not match the HTTP Basic credentials")
		}
	}
	if err := s.checkFailures(w, r, id, "access_denied"); err != nil {
		return nil, err
	}
	denied := s.failed(w, r, id, errClientDenied)
	if id == "" || secret == "" {
		return nil, denied()
	}
	c, err := s.Store.FindClient(r.Context(), s.Tenant, id)
	if userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, denied()
	} else if err != nil {
		return nil, err
	}
	if !auth.CheckSecret(c.SecretHash, secret) {
		return nil, denied()
	}
	return c, nil
}

// errClientDenied is the answer to credentials that authenticate no client
// (unknown id, wrong or missing secret): Auth0's recorded 401, which does not
// say which credential is wrong (docs/api.md).
var errClientDenied = oauthErr(userport.EUNAUTHORIZED, "access_denied", "Unauthorized")

// unescapeBasic undoes the form encoding of Basic credentials, leaving values
// that are not validly encoded as they are.
func unescapeBasic(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// acceptedAudience reports whether aud names this server's Management API:
// "{public-url}/api/v2/", under either scheme, on the public host or on the
// host the client used (SDKs keep https://{domain}/api/v2/ when redirected).
func (s *Server) acceptedAudience(r *http.Request, aud string) bool {
	u, err := url.Parse(aud)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if strings.TrimSuffix(u.Path, "/") != "/api/v2" || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	public, err := url.Parse(s.PublicURL)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, public.Host) || strings.EqualFold(u.Host, r.Host)
}

// grantedScopes narrows the client's grants to the requested scopes; asking for
// a scope the client was not granted is refused.
func grantedScopes(c *userport.Client, requested string) ([]string, error) {
	want := auth.ParseScope(requested)
	if len(want) == 0 {
		return c.Scopes, nil
	}
	if missing := auth.Missing(c.Scopes, want); len(missing) > 0 {
		return nil, oauthErr(userport.EFORBIDDEN, "access_denied", "Client has not been granted scopes: "+strings.Join(missing, ","))
	}
	return want, nil
}
