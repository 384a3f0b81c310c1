package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Defaults of a Client.
const (
	DefaultTimeout = 15 * time.Second // one attempt, connection to answer
	MaxAnswerBytes = 64 << 10         // of an answer's body, read and dropped
)

// Client posts signed messages through a Guard. It follows no redirect (a
// 3xx is a failure), reads at most MaxAnswerBytes of an answer and gives up
// on an attempt after Timeout.
type Client struct {
	guard   *Guard
	http    *http.Client
	proxies sync.Map // "host:port" of the proxies Proxy chose: dialled unchecked
	proxy   func(*http.Request) (*url.URL, error)
}

// ClientOptions tune a Client; zero values take the defaults.
type ClientOptions struct {
	Timeout time.Duration // DefaultTimeout when 0
	// Proxy chooses a request's proxy; nil: HTTPS_PROXY and the other
	// variables of http.ProxyFromEnvironment. With a proxy the target's
	// addresses are checked before the request (the proxy connects).
	Proxy func(*http.Request) (*url.URL, error)
}

// NewClient returns a client whose connections guard checks.
func NewClient(guard *Guard, opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Proxy == nil {
		opts.Proxy = http.ProxyFromEnvironment
	}
	c := &Client{guard: guard, proxy: opts.Proxy}
	dial := guard.DialContext(&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second})
	tr := &http.Transport{
		Proxy: c.chooseProxy,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if _, ok := c.proxies.Load(addr); ok {
				var d net.Dialer
				return d.DialContext(ctx, network, addr) // the operator's proxy
			}
			return dial(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
	}
	c.http = &http.Client{Transport: tr, Timeout: opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// chooseProxy is the transport's Proxy: the proxy of the request, if any,
// once the target's addresses passed the guard.
func (c *Client) chooseProxy(req *http.Request) (*url.URL, error) {
	p, err := c.proxy(req)
	if err != nil || p == nil {
		return p, err
	}
	if _, err := c.guard.resolve(req.Context(), req.URL.Hostname()); err != nil {
		return nil, err
	}
	c.proxies.Store(canonicalAddr(p), struct{}{})
	return p, nil
}

// canonicalAddr is u's host:port, the port its scheme's when absent.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "socks5": "1080"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// Timeout is how long one attempt may take.
func (c *Client) Timeout() time.Duration { return c.http.Timeout }

// Message is one attempt's request.
type Message struct {
	URL     string
	ID      string    // webhook-id
	At      time.Time // webhook-timestamp
	Body    []byte
	Secrets [][]byte // each signs (webhook-signature)
}

// Result is the outcome of one attempt.
type Result struct {
	StatusCode int           // 0: no answer
	Latency    time.Duration // from the request to the answer's headers (or the failure)
	RetryAfter time.Duration // the answer's Retry-After, 0 when absent
	Err        error         // why there was no answer
}

// OK reports whether the endpoint accepted the message (2xx).
func (r Result) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// Send posts m once.
func (c *Client) Send(ctx context.Context, m Message) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "userport-webhooks/1")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(m.At.Unix(), 10))
	req.Header.Set("webhook-signature", SignatureHeader(m.Secrets, m.ID, m.At, m.Body))
	start := time.Now()
	resp, err := c.http.Do(req)
	res := Result{Latency: time.Since(start)}
	if err != nil {
		res.Err = unwrapURLError(err)
		return res
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxAnswerBytes))
	res.StatusCode = resp.StatusCode
	res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	return res
}

// unwrapURLError drops net/http's "Post URL:" wrapping, which repeats the
// URL the delivery names already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// retryAfter reads a Retry-After value, seconds or an HTTP date: 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
