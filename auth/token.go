package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/userport/userport"
)

const (
	// DefaultTTL is the lifetime of an access token when Issuer.TTL is zero
	// (Auth0's default for Management API tokens).
	DefaultTTL = 24 * time.Hour
	// MaxTTL is the longest access token lifetime Issuer.TTL may set: a
	// leaked token is good for at most this long.
	MaxTTL = 30 * 24 * time.Hour
	// Leeway is the clock skew tolerated on exp and iat.
	Leeway = 30 * time.Second
	// GrantClientCredentials is the gty claim of the tokens issued here.
	GrantClientCredentials = "client-credentials"
	// maxTokenLen bounds what Verify parses; our tokens are about 1 KB.
	maxTokenLen = 16 << 10
	// clientSuffix makes the sub claim from a client id, as Auth0 does.
	clientSuffix = "@clients"
	// TenantClaim names the tenant a token is for. It is a namespaced
	// private claim, as Auth0 asks of custom claims.
	TenantClaim = "https://userport/tenant"
)

// Issuer issues and verifies the Management API access tokens of one
// server, which answers for one tenant.
type Issuer struct {
	Keys     *KeySet
	Issuer   string        // the iss claim: "{base}/"
	Audience string        // the aud claim: "{base}/api/v2/"
	Tenant   string        // the TenantClaim; required
	TTL      time.Duration // token lifetime; DefaultTTL when zero
	Clock    userport.Clock
	// Clients is where Verify checks that a token's client still exists
	// (a ClientCache over the store); required by Verify.
	Clients ClientFinder
}

// Claims is what a verified token says.
type Claims struct {
	ClientID  string   // azp
	Subject   string   // sub: ClientID + "@clients"
	Tenant    string   // TenantClaim
	Scopes    []string // scope, split
	ExpiresAt time.Time
}

// Issue returns a signed RS256 access token for the client with the given
// scopes, and its lifetime in seconds (the expires_in of the token response).
// The header carries the signing key's kid. It does not check the scopes:
// the token endpoint decides what a client may ask for.
func (i *Issuer) Issue(clientID string, scopes []string) (token string, expiresIn int, err error) {
	if i.Tenant == "" {
		return "", 0, errors.New("issue token: the issuer has no tenant")
	}
	ttl := i.ttl()
	if err := CheckTTL(ttl); err != nil {
		return "", 0, fmt.Errorf("issue token: %w", err)
	}
	now := i.now().Truncate(time.Second)
	tok, err := jwt.NewBuilder().
		Issuer(i.Issuer).
		Subject(clientID+clientSuffix).
		Audience([]string{i.Audience}).
		IssuedAt(now).
		Expiration(now.Add(ttl)).
		Claim("azp", clientID).
		Claim("gty", GrantClientCredentials).
		Claim("scope", strings.Join(scopes, " ")).
		Claim(TenantClaim, i.Tenant).
		Build()
	if err != nil {
		return "", 0, fmt.Errorf("build token: %w", err)
	}
	tok.Options().Enable(jwt.FlattenAudience) // "aud": "..." as Auth0 writes it
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), i.Keys.signer().private))
	if err != nil {
		return "", 0, fmt.Errorf("sign token: %w", err)
	}
	return string(signed), int(ttl / time.Second), nil
}

// Verify checks token and returns its claims. It accepts only compact RS256
// tokens (see checkCompact for the spelling) whose header names (kid) a key of
// i.Keys and no crit, signed by that key, with iss equal to i.Issuer, aud
// containing i.Audience, TenantClaim equal to i.Tenant, numeric exp not passed
// and iat (and nbf, if any) not in the future (with Leeway, on i.Clock), for
// a client that i.Clients still finds. Every refusal is the same
// EUNAUTHORIZED "Invalid token" error, wrapping the cause for logs; a failure
// to look the client up is returned as it is.
func (i *Issuer) Verify(ctx context.Context, token string) (*Claims, error) {
	if i.Clients == nil {
		return nil, errors.New("verify token: the issuer has no client store")
	}
	c, err := i.verify(ctx, token)
	if err != nil {
		return nil, invalidToken(err)
	}
	if _, err := i.Clients.FindClient(ctx, i.Tenant, c.ClientID); userport.ErrorCode(err) == userport.ENOTFOUND {
		return nil, invalidToken(fmt.Errorf("client %q does not exist", c.ClientID))
	} else if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	return c, nil
}

// invalidToken is the one refusal of Verify, wrapping its cause.
func invalidToken(cause error) error {
	return fmt.Errorf("%w: %w", userport.Errorf(userport.EUNAUTHORIZED, "", "Invalid token"), cause)
}

func (i *Issuer) verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > maxTokenLen {
		return nil, errors.New("token too long")
	}
	if err := checkCompact(token); err != nil {
		return nil, err
	}
	tok, err := jwt.ParseString(token,
		jwt.WithKeyProvider(keyProvider{ctx: ctx, keys: i.Keys}),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(i.now)),
		jwt.WithAcceptableSkew(Leeway),
		jwt.WithIssuer(i.Issuer),
		jwt.WithAudience(i.Audience),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
	)
	if errors.Is(err, jwt.InvalidAudienceError()) {
		return nil, fmt.Errorf("the token's audience is not this server's %s (signed for another URL?): %w", i.Audience, err)
	} else if err != nil {
		return nil, err
	}
	c, err := claimsOf(tok)
	if err != nil {
		return nil, err
	}
	if c.Tenant != i.Tenant || i.Tenant == "" {
		return nil, fmt.Errorf("token is for tenant %q, not %q", c.Tenant, i.Tenant)
	}
	return c, nil
}

// claimsOf extracts Claims from a verified token.
func claimsOf(tok jwt.Token) (*Claims, error) {
	var c Claims
	var scope string
	if err := tok.Get("azp", &c.ClientID); err != nil || c.ClientID == "" {
		return nil, errors.New("no azp claim")
	}
	if sub, _ := tok.Subject(); sub != c.ClientID+clientSuffix {
		return nil, fmt.Errorf("sub %q does not match azp %q", sub, c.ClientID)
	}
	if tok.Has("scope") {
		if err := tok.Get("scope", &scope); err != nil {
			return nil, fmt.Errorf("scope claim: %w", err)
		}
	}
	if err := tok.Get(TenantClaim, &c.Tenant); err != nil {
		return nil, fmt.Errorf("tenant claim: %w", err)
	}
	c.Subject = c.ClientID + clientSuffix
	c.Scopes = ParseScope(scope)
	c.ExpiresAt, _ = tok.Expiration()
	return &c, nil
}

// CheckTTL accepts an access token lifetime of one second up to MaxTTL.
func CheckTTL(ttl time.Duration) error {
	if ttl < time.Second || ttl > MaxTTL {
		return fmt.Errorf("token lifetime %v is not between 1s and %v", ttl, MaxTTL)
	}
	return nil
}

func (i *Issuer) ttl() time.Duration {
	if i.TTL <= 0 {
		return DefaultTTL
	}
	return i.TTL
}

func (i *Issuer) now() time.Time { return now(i.Clock) }

// now reads clock, or the system clock when clock is nil.
func now(clock userport.Clock) time.Time {
	if clock == nil {
		return userport.SystemClock{}.Now()
	}
	return clock.Now()
}

// keyProvider gives jwx the one key a signature may be checked with: the key
// of the KeySet named by the protected header's kid, and only for RS256. Any
// other algorithm (none, HS*, RS384, PS*, ...), a missing kid or an unknown
// one fails before any cryptography (an unknown one after the KeySet read
// its keys again, in case another node added it).
type keyProvider struct {
	ctx  context.Context // the Verify call's, for a reload of the keys
	keys *KeySet
}

// FetchKeys implements jws.KeyProvider.
func (p keyProvider) FetchKeys(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
	h := sig.ProtectedHeaders()
	if alg, ok := h.Algorithm(); !ok || alg.String() != jwa.RS256().String() {
		return errors.New("algorithm is not RS256")
	}
	kid, ok := h.KeyID()
	if !ok || kid == "" {
		return errors.New("no kid in header")
	}
	key, ok := p.keys.publicKey(p.ctx, kid)
	if !ok {
		return fmt.Errorf("unknown kid %q", kid)
	}
	sink.Key(jwa.RS256(), key)
	return nil
}
