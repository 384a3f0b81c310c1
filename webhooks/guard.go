package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Guard holds the SSRF rules of webhook URLs: https only unless AllowHTTP;
// loopback and private addresses refused unless AllowPrivate; link-local
// (cloud metadata among them), unspecified, multicast and broadcast
// addresses always. A URL is checked when it is registered (CheckURL) and
// every address is checked again when a delivery connects (DialContext),
// after the name was resolved, so that a name that resolves elsewhere later
// (DNS rebinding) is refused then.
type Guard struct {
	AllowHTTP    bool
	AllowPrivate bool
	// Lookup resolves a host name; nil: the system's resolver. Tests
	// inject one that answers what they need.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// ErrRefused wraps every refusal of a URL or an address.
var ErrRefused = errors.New("webhook address refused")

// refused is an ErrRefused with its reason.
func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
}

// metadata are the cloud metadata addresses, refused whatever is allowed
// (fd00:ec2::254 lies in the private fc00::/7).
var metadata = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

// private are the ranges refused unless AllowPrivate, beside loopback and
// IsPrivate's (10/8, 172.16/12, 192.168/16, fc00::/7).
var private = []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("198.18.0.0/15")}

// always are ranges refused whatever is allowed, beside the classes
// netip names: "this network" and broadcast.
var always = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("255.255.255.255/32")}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last 32 bits, which is what is checked.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// CheckAddr returns why a connection to a is refused, or nil.
func (g *Guard) CheckAddr(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, m := range metadata {
		if a == m {
			return refused("%s is a cloud metadata address", a)
		}
	}
	switch {
	case !a.IsValid() || a.IsUnspecified():
		return refused("%s is an unspecified address", a)
	case a.IsMulticast():
		return refused("%s is a multicast address", a)
	case a.IsLinkLocalUnicast():
		return refused("%s is a link-local address", a)
	case inAny(always, a):
		return refused("%s is not a unicast address", a)
	}
	if g.AllowPrivate {
		return nil
	}
	switch {
	case a.IsLoopback():
		return refused("%s is a loopback address (allowed with --webhook-allow-private)", a)
	case a.IsPrivate() || inAny(private, a):
		return refused("%s is a private address (allowed with --webhook-allow-private)", a)
	}
	return nil
}

func inAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseURL checks what can be checked of a URL without resolving it: an
// absolute http(s) URL (https unless AllowHTTP) with a host, no user
// information and no fragment. It returns the URL parsed.
func (g *Guard) ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, refused("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, refused("the scheme must be https")
	case u.Scheme == "http" && !g.AllowHTTP:
		return nil, refused("the scheme must be https (http is allowed with --webhook-allow-http)")
	case u.Host == "" || u.Hostname() == "":
		return nil, refused("the URL has no host")
	case u.User != nil:
		return nil, refused("the URL must not hold user information")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, refused("the URL must not have a fragment")
	}
	return u, nil
}

// CheckURL checks a URL to register: ParseURL's rules, and every address
// its host resolves to.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := g.ParseURL(raw)
	if err != nil {
		return err
	}
	_, err = g.resolve(ctx, u.Hostname())
	return err
}

// resolve returns the addresses of host (an address itself, or a name),
// each checked: one refused address refuses the host.
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, g.CheckAddr(a)
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return nil, refused("%s does not resolve: %v", host, err)
	}
	if len(addrs) == 0 {
		return nil, refused("%s has no address", host)
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
	}
	return addrs, nil
}

func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if g.Lookup != nil {
		return g.Lookup(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// Control is a net.Dialer Control function that refuses a connection to an
// address CheckAddr refuses: the check on the address actually dialled.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refused("cannot check the address %q", address)
	}
	return g.CheckAddr(ap.Addr())
}

// DialContext resolves addr's host (through Lookup), checks every address
// and dials them in turn with dialer, whose Control checks each address
// again as it is dialled.
func (g *Guard) DialContext(dialer *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := *dialer
	d.Control = g.Control
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		addrs, err := g.resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
}
