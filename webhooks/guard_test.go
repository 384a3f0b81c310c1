package webhooks_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userport/userport/webhooks"
)

// TestCheckAddr covers every class of address: each refused one says why.
func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr         string
		allowPrivate bool
		want         string // "" allowed; else a piece of the reason
	}{
		{"93.184.216.34", false, ""},
		{"2606:2800:220:1:248:1893:25c8:1946", false, ""},
		{"127.0.0.1", false, "loopback"},
		{"127.0.0.1", true, ""},
		{"::1", false, "loopback"},
		{"::ffff:127.0.0.1", false, "loopback"},
		{"10.1.2.3", false, "private"},
		{"172.16.0.1", false, "private"},
		{"192.168.1.1", false, "private"},
		{"100.64.0.1", false, "private"},
		{"fd12::1", false, "private"},
		{"192.168.1.1", true, ""},
		{"169.254.169.254", true, "metadata"},
		{"fd00:ec2::254", true, "metadata"},
		{"169.254.1.1", true, "link-local"},
		{"fe80::1", true, "link-local"},
		{"0.0.0.0", true, "unspecified"},
		{"::", true, "unspecified"},
		{"0.1.2.3", true, "not a unicast"},
		{"224.0.0.1", true, "multicast"},
		{"ff02::1", true, "multicast"},
		{"255.255.255.255", true, "not a unicast"},
		{"64:ff9b::a9fe:a9fe", true, "metadata"}, // NAT64 of 169.254.169.254
		{"64:ff9b::7f00:1", false, "loopback"},
	}
	for _, tt := range tests {
		g := &webhooks.Guard{AllowPrivate: tt.allowPrivate}
		err := g.CheckAddr(netip.MustParseAddr(tt.addr))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckAddr(%s, private %v) = %v, want allowed", tt.addr, tt.allowPrivate, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, webhooks.ErrRefused)):
			t.Errorf("CheckAddr(%s, private %v) = %v, want a refusal saying %q", tt.addr, tt.allowPrivate, err, tt.want)
		}
	}
}

// lookupTable answers names from a table.
func lookupTable(table map[string][]string) func(ctx context.Context, host string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range table[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		if out == nil {
			return nil, errors.New("no such host")
		}
		return out, nil
	}
}

// TestCheckURL covers the registration's refusals.
func TestCheckURL(t *testing.T) {
	lookup := lookupTable(map[string][]string{"hooks.example.com": {"93.184.216.34"},
		"internal.example.com": {"93.184.216.34", "10.0.0.8"}, "meta.example.com": {"169.254.169.254"}})
	tests := []struct {
		url       string
		allowHTTP bool
		want      string
	}{
		{"https://hooks.example.com/in", false, ""},
		{"http://hooks.example.com/in", false, "https"},
		{"http://hooks.example.com/in", true, ""},
		{"ftp://hooks.example.com/in", true, "scheme"},
		{"https:///in", false, "no host"},
		{"https://user:pw@hooks.example.com/", false, "user information"},
		{"https://hooks.example.com/#x", false, "fragment"},
		{"https://internal.example.com/", false, "10.0.0.8 is a private address"},
		{"https://meta.example.com/", false, "metadata"},
		{"https://169.254.169.254/latest/meta-data", false, "metadata"},
		{"https://[::1]:8443/", false, "loopback"},
		{"https://nowhere.example.com/", false, "does not resolve"},
		{"/relative", false, "scheme"},
	}
	for _, tt := range tests {
		g := &webhooks.Guard{AllowHTTP: tt.allowHTTP, Lookup: lookup}
		err := g.CheckURL(context.Background(), tt.url)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckURL(%q) = %v, want %q", tt.url, err, tt.want)
		}
	}
}

// TestRebindingRefusedAtConnect: a name that resolves to a public address
// when it is registered and to 127.0.0.1 when a delivery connects is
// refused at the connect, and nothing reaches the listener behind it.
func TestRebindingRefusedAtConnect(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	var lookups atomic.Int32
	g := &webhooks.Guard{AllowHTTP: true, Lookup: func(context.Context, string) ([]netip.Addr, error) {
		if lookups.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}}
	target := "http://rebind.example.com:" + itoa(port) + "/hook"
	if err := g.CheckURL(context.Background(), target); err != nil {
		t.Fatalf("registration: %v (the name resolves to a public address then)", err)
	}
	c := webhooks.NewClient(g, webhooks.ClientOptions{Timeout: 2 * time.Second, Proxy: noProxy})
	res := c.Send(context.Background(), webhooks.Message{URL: target, ID: "msg_1", At: time.Now(), Body: []byte(`{}`), Secrets: [][]byte{[]byte("k")}})
	if res.StatusCode != 0 || !errors.Is(res.Err, webhooks.ErrRefused) || !strings.Contains(res.Err.Error(), "loopback") {
		t.Fatalf("Send = %d, %v; want a refused loopback address", res.StatusCode, res.Err)
	}
	if hits.Load() != 0 {
		t.Errorf("the listener got %d requests, want none", hits.Load())
	}
}

// TestControlChecksTheDialledAddress: the dialer's Control refuses the
// address actually dialled, whatever resolved it.
func TestControlChecksTheDialledAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Control: (&webhooks.Guard{}).Control, Timeout: time.Second}
	if _, err := d.Dial("tcp", ln.Addr().String()); !errors.Is(err, webhooks.ErrRefused) {
		t.Fatalf("dial of loopback = %v, want ErrRefused", err)
	}
	d.Control = (&webhooks.Guard{AllowPrivate: true}).Control
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial with private allowed: %v", err)
	}
	c.Close()
}

// TestSendThroughProxy: with a proxy, the target's addresses are checked
// before the request goes to the proxy (which connects): a private target
// never reaches it; a public one goes through it.
func TestSendThroughProxy(t *testing.T) {
	var got atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.String()) // a forward proxy sees the absolute URL
		w.WriteHeader(http.StatusAccepted)
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	g := &webhooks.Guard{AllowHTTP: true, Lookup: lookupTable(map[string][]string{
		"public.example.com": {"93.184.216.34"}, "private.example.com": {"10.0.0.1"}})}
	c := webhooks.NewClient(g, webhooks.ClientOptions{Timeout: 2 * time.Second,
		Proxy: func(*http.Request) (*url.URL, error) { return proxyURL, nil }})
	msg := webhooks.Message{ID: "msg_1", At: time.Now(), Body: []byte(`{}`), Secrets: [][]byte{[]byte("k")}}
	msg.URL = "http://private.example.com/hook"
	if res := c.Send(context.Background(), msg); !errors.Is(res.Err, webhooks.ErrRefused) {
		t.Fatalf("Send to a private target through the proxy = %d, %v; want refused", res.StatusCode, res.Err)
	}
	if got.Load() != nil {
		t.Fatalf("the proxy got %v for a refused target", got.Load())
	}
	msg.URL = "http://public.example.com/hook"
	if res := c.Send(context.Background(), msg); res.StatusCode != http.StatusAccepted {
		t.Fatalf("Send through the proxy = %d, %v; want 202", res.StatusCode, res.Err)
	}
	if got.Load() != "http://public.example.com/hook" {
		t.Errorf("the proxy got %v", got.Load())
	}
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

func itoa(n int) string { return strconv.Itoa(n) }

// newServer is an httptest server that answers 204 and passes each
// request's Standard Webhooks headers to got.
func newServer(got func(h map[string]string)) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got(map[string]string{"webhook-id": r.Header.Get("webhook-id"), "webhook-timestamp": r.Header.Get("webhook-timestamp"),
			"webhook-signature": r.Header.Get("webhook-signature")})
		w.WriteHeader(http.StatusNoContent)
	}))
}
