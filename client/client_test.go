package client_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userport/userport/client"
)

// TestURLWithAPIPath: a URL given with the Management API's path (as
// copied from an audience) names the same server: the token request goes
// to /oauth/token, not /api/v2/oauth/token.
func TestURLWithAPIPath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "expires_in": 60})
	}))
	defer srv.Close()
	for _, suffix := range []string{"", "/", "/api/v2", "/api/v2/", "/api/v2//"} {
		c, err := client.New(client.Options{URL: srv.URL + suffix, ClientID: "id", ClientSecret: "secret"})
		if err != nil {
			t.Fatalf("%q: %v", suffix, err)
		}
		if tok, err := c.Token(t.Context()); err != nil || tok != "tok" || c.URL() != srv.URL {
			t.Errorf("URL %q: token %q, %v, base %s; want tok from %s", suffix, tok, err, c.URL(), srv.URL)
		}
	}
}

// TestUnreachableHint: a server that cannot be reached gives an error that
// names it and ends with the hint given.
func TestUnreachableHint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	for _, hint := range []string{"", "the URL is the default; give --url"} {
		c, err := client.New(client.Options{URL: "http://" + addr, Token: "t", Hint: hint})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Job(t.Context(), "job_x")
		var ue *client.UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot reach "+addr+": ") || !strings.HasSuffix(err.Error(), hint) {
			t.Errorf("hint %q: %v", hint, err)
		}
	}
}
