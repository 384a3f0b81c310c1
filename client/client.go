// Package client speaks the Auth0 Management API endpoints userport serves
// (and Auth0 itself serves): tokens by client credentials, export and import
// jobs, their errors, and the download of an export's file. It is the HTTP
// client behind the CLI's export, import and jobs commands.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configure a Client. Either Token, or ClientID and ClientSecret,
// must be set.
type Options struct {
	URL          string // the server's base URL: http://127.0.0.1:8080, https://TENANT.auth0.com
	ClientID     string // a client allowed the client-credentials grant
	ClientSecret string
	Token        string // an access token to use as is (then no /oauth/token request)
	// Audience of the tokens asked for; default URL + "/api/v2/".
	Audience string
	// HTTP sends the requests; default a client with no overall timeout
	// (downloads and uploads may be long).
	HTTP *http.Client
	// Now tells the time, for the token cache; default time.Now.
	Now func() time.Time
	// Hint, when set, ends the message of an UnreachableError: where the
	// URL came from and how to change it.
	Hint string
}

// Client is a Management API client, safe for concurrent use.
type Client struct {
	base     *url.URL
	opts     Options
	mu       sync.Mutex
	token    string    // cached access token
	tokenEnd time.Time // when token should no longer be used
}

// tokenMargin is how long before its expiry a cached token is renewed.
const tokenMargin = time.Minute

// New checks opts and returns a Client.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(BaseURL(opts.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q: want http(s)://host[:port]", opts.URL)
	}
	if opts.Token == "" && (opts.ClientID == "" || opts.ClientSecret == "") {
		return nil, errors.New("no credentials: give a token, or a client id and its secret")
	}
	if opts.Audience == "" {
		opts.Audience = u.String() + "/api/v2/"
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Client{base: u, opts: opts}, nil
}

// BaseURL is raw without trailing slashes nor the Management API's path: a
// URL copied with /api/v2/ names the same server.
func BaseURL(raw string) string {
	raw = strings.TrimRight(raw, "/")
	return strings.TrimRight(strings.TrimSuffix(raw, "/api/v2"), "/")
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Token returns an access token: the given one, or one from /oauth/token by
// client credentials, cached until a minute before it expires.
func (c *Client) Token(ctx context.Context) (string, error) {
	if c.opts.Token != "" {
		return c.opts.Token, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.opts.Now().Before(c.tokenEnd) {
		return c.token, nil
	}
	tok, ttl, err := c.newToken(ctx)
	if err != nil {
		return "", err
	}
	c.token, c.tokenEnd = tok, c.opts.Now().Add(ttl-min(tokenMargin, ttl/10))
	return tok, nil
}

// forgetToken drops the cached token tok (the server refused it).
func (c *Client) forgetToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// newToken asks /oauth/token for a token and returns it with its lifetime.
func (c *Client) newToken(ctx context.Context) (string, time.Duration, error) {
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": c.opts.ClientID,
		"client_secret": c.opts.ClientSecret, "audience": c.opts.Audience})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("/oauth/token", nil), strings.NewReader(string(body)))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := c.do(req, http.StatusOK, &tr); err != nil {
		return "", 0, fmt.Errorf("get a token: %w", err)
	}
	if tr.AccessToken == "" || tr.ExpiresIn <= 0 {
		return "", 0, errors.New("get a token: the answer holds no access_token or expires_in")
	}
	return tr.AccessToken, time.Duration(tr.ExpiresIn) * time.Second, nil
}

// endpoint is the URL of path (escaped: a user id's "/" as %2F; with query
// q, nil for none) on the server.
func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	raw := strings.TrimRight(u.EscapedPath(), "/") + path
	u.Path, _ = url.PathUnescape(raw) // the callers escape what they add
	u.RawPath = raw
	u.RawQuery = q.Encode()
	return u.String()
}

// api sends a Management API request (path under /api/v2, body nil or
// JSON-encoded) and decodes the answer into out (nil: discarded), unless its
// status is not want. A token refused with 401 is renewed once; a 429 with
// a short Retry-After is waited out.
func (c *Client) api(ctx context.Context, method, path string, q url.Values, in any, want int, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.Token(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, c.endpoint("/api/v2"+path, q), strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		err = c.do(req, want, out)
		var e *Error
		switch {
		case !errors.As(err, &e) || attempt == maxRetries:
			return err
		case e.StatusCode == http.StatusUnauthorized && c.opts.Token == "" && attempt == 0:
			c.forgetToken(tok)
		case e.StatusCode == http.StatusTooManyRequests && e.RetryAfter <= maxRetryWait:
			if err := sleep(ctx, max(e.RetryAfter, 100*time.Millisecond)); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// A request refused with 429 is sent again (at most maxRetries times) when
// the server asks to wait no longer than maxRetryWait (Auth0's per-second
// limits); a longer wait is the error.
const (
	maxRetries   = 3
	maxRetryWait = 10 * time.Second
)

// sleep waits for d or the end of ctx.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do sends req and decodes a want answer into out; another status is an
// *Error, a failure to reach the server an error naming it.
func (c *Client) do(req *http.Request, want int, out any) error {
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return readError(resp)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// send sends req, turning a transport failure into one line that names the
// server.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.opts.HTTP.Do(req)
	if err == nil {
		return resp, nil
	}
	if ctxErr := req.Context().Err(); ctxErr != nil {
		return nil, ctxErr
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return nil, &UnreachableError{Host: req.URL.Host, Err: err, Hint: c.opts.Hint}
}

// UnreachableError is a request that got no answer: the server is down,
// refused the connection or cut it.
type UnreachableError struct {
	Host string
	Err  error
	Hint string // Options.Hint
}

// Error says which server could not be reached, and why.
func (e *UnreachableError) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("cannot reach %s: %v; %s", e.Host, e.Err, e.Hint)
	}
	return fmt.Sprintf("cannot reach %s: %v", e.Host, e.Err)
}

// Unwrap returns the transport's error.
func (e *UnreachableError) Unwrap() error { return e.Err }
