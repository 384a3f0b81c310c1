package httpapi_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
)

// signer signs a JWS signing input.
type signer func(t *testing.T, input []byte) []byte

// craft builds a compact JWS of header and claims signed by sign.
func craft(t *testing.T, header, claims map[string]any, sign signer) string {
	t.Helper()
	input := encodeJSONPart(t, header) + "." + encodeJSONPart(t, claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign(t, []byte(input)))
}

// rsaSign signs with k: the hash h of the input, PKCS #1 v1.5 or PSS.
func rsaSign(k *rsa.PrivateKey, h crypto.Hash, pss bool) signer {
	return func(t *testing.T, input []byte) []byte {
		d := h.New()
		d.Write(input)
		sign := func() ([]byte, error) { return rsa.SignPKCS1v15(rand.Reader, k, h, d.Sum(nil)) }
		if pss {
			sign = func() ([]byte, error) { return rsa.SignPSS(rand.Reader, k, h, d.Sum(nil), nil) }
		}
		sig, err := sign()
		must(t, err)
		return sig
	}
}

func rs256(k *rsa.PrivateKey) signer { return rsaSign(k, crypto.SHA256, false) }
func rs384(k *rsa.PrivateKey) signer { return rsaSign(k, crypto.SHA384, false) }
func ps256(k *rsa.PrivateKey) signer { return rsaSign(k, crypto.SHA256, true) }

func hs256(secret []byte) signer {
	return func(t *testing.T, input []byte) []byte {
		mac := hmac.New(sha256.New, secret)
		mac.Write(input)
		return mac.Sum(nil)
	}
}

func unsigned(t *testing.T, input []byte) []byte { return nil }

// claimsAt are valid claims for e's server issued at now, with changes
// applied (a nil value removes the claim).
func (e *env) claimsAt(now time.Time, changes map[string]any) map[string]any {
	c := map[string]any{"iss": e.base + "/", "sub": adminID + "@clients", "aud": e.audience(),
		"azp": adminID, "gty": "client-credentials", "scope": "read:users",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), auth.TenantClaim: e.tenant}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	// More bad tokens than the failure limit's burst: that limit has its own
	// test (TestFailureRateLimit); here each token must be refused for itself.
	b := setup(t, func(s *httpapi.Server) { s.RateLimits.FailureBurst = 1000 })
	key := sharedKey(t)
	kid := b.Server.Keys.SigningKeyID()
	now := b.Clock.Now()
	claims := func(changes map[string]any) map[string]any { return b.claimsAt(now, changes) }
	hdr := func(alg string) map[string]any { return map[string]any{"alg": alg, "typ": "JWT", "kid": kid} }

	// The secrets an attacker would try as an HMAC key: the public key as
	// published (PEM, PKIX and PKCS#1) and the raw modulus from the JWKS.
	pkix, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkixPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)})
	jwksN := jwksModulus(t, b)

	// A real token, narrowed to read:users, to tamper with.
	real := b.token(auth.ScopeReadUsers)
	parts := strings.Split(real, ".")
	_, realClaims := testutil.TokenParts(t, real)
	realClaims["scope"] = allScopes
	tamperedPayload := parts[0] + "." + encodeJSONPart(t, realClaims) + "." + parts[2]
	sig := []byte(parts[2])
	sig[10] ^= 1 // still base64url: flips one bit of a 6-bit group
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)

	// Tokens issued by the server's own Issuer code, with the server's keys.
	past := testutil.NewClock(now)
	past.Advance(-3 * time.Hour)
	issue := func(iss *auth.Issuer) string {
		iss.Keys, iss.TTL = b.Server.Keys, time.Hour
		if iss.Tenant == "" {
			iss.Tenant = b.tenant
		}
		if iss.Clock == nil {
			iss.Clock = b.Clock
		}
		tok, _, err := iss.Issue(adminID, []string{auth.ScopeReadUsers})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		// Controls: the crafting is right, so each refusal is for its reason.
		{"control: crafted RS256 with the server key", craft(t, hdr("RS256"), claims(nil), rs256(key)), true},
		{"control: issued by the data dir's keys", issue(&auth.Issuer{Issuer: b.base + "/", Audience: b.audience()}), true},
		{"control: aud as an array", craft(t, hdr("RS256"), claims(map[string]any{"aud": []string{b.audience(), "other"}}), rs256(key)), true},
		{"control: expired within the leeway", craft(t, hdr("RS256"), claims(map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(-10 * time.Second).Unix()}), rs256(key)), true},

		{"alg none", craft(t, hdr("none"), claims(nil), unsigned), false},
		{"alg None", craft(t, hdr("None"), claims(nil), unsigned), false},
		{"alg none with a signature", craft(t, hdr("none"), claims(nil), rs256(key)), false},
		{"no alg", craft(t, map[string]any{"kid": kid}, claims(nil), rs256(key)), false},
		{"HS256 with the public key PEM", craft(t, hdr("HS256"), claims(nil), hs256(pkixPEM)), false},
		{"HS256 with the PKCS#1 public key PEM", craft(t, hdr("HS256"), claims(nil), hs256(pkcs1PEM)), false},
		{"HS256 with the JWKS modulus", craft(t, hdr("HS256"), claims(nil), hs256(jwksN)), false},
		{"RS384 with the server key", craft(t, hdr("RS384"), claims(nil), rs384(key)), false},
		{"PS256 with the server key", craft(t, hdr("PS256"), claims(nil), ps256(key)), false},
		{"expired", issue(&auth.Issuer{Issuer: b.base + "/", Audience: b.audience(), Clock: past}), false},
		{"expired beyond the leeway", craft(t, hdr("RS256"), claims(map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(-time.Minute).Unix()}), rs256(key)), false},
		{"issued in the future", craft(t, hdr("RS256"), claims(map[string]any{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()}), rs256(key)), false},
		{"no exp", craft(t, hdr("RS256"), claims(map[string]any{"exp": nil}), rs256(key)), false},
		{"wrong iss", issue(&auth.Issuer{Issuer: "https://evil.example.com/", Audience: b.audience()}), false},
		{"wrong aud", issue(&auth.Issuer{Issuer: b.base + "/", Audience: "https://evil.example.com/api/v2/"}), false},
		{"no aud", craft(t, hdr("RS256"), claims(map[string]any{"aud": nil}), rs256(key)), false},
		{"unknown kid", craft(t, map[string]any{"alg": "RS256", "kid": "unknown"}, claims(nil), rs256(foreignKey())), false},
		{"no kid", craft(t, map[string]any{"alg": "RS256"}, claims(nil), rs256(key)), false},
		{"known kid, foreign key", craft(t, hdr("RS256"), claims(nil), rs256(foreignKey())), false},
		{"tampered payload", tamperedPayload, false},
		{"tampered signature", tamperedSig, false},
		{"sub not the client", craft(t, hdr("RS256"), claims(map[string]any{"sub": "someone-else@clients"}), rs256(key)), false},
		{"no azp", craft(t, hdr("RS256"), claims(map[string]any{"azp": nil}), rs256(key)), false},
		{"two parts", parts[0] + "." + parts[1], false},
		{"JWE-like five parts", real + ".a.b", false},
		{"not base64", "a.b.c", false},
		{"unknown crit", craft(t, map[string]any{"alg": "RS256", "kid": kid, "crit": []string{"urn:x"}, "urn:x": 1}, claims(nil), rs256(key)), false},
		{"padded signature", real + "==", false},
		{"exp a string", craft(t, hdr("RS256"), claims(map[string]any{"exp": "9999999999"}), rs256(key)), false},
		{"iat a string", craft(t, hdr("RS256"), claims(map[string]any{"iat": fmt.Sprint(now.Unix())}), rs256(key)), false},
		{"nbf a string", craft(t, hdr("RS256"), claims(map[string]any{"nbf": fmt.Sprint(now.Unix())}), rs256(key)), false},
		{"no tenant", craft(t, hdr("RS256"), claims(map[string]any{auth.TenantClaim: nil}), rs256(key)), false},
		{"other tenant", issue(&auth.Issuer{Issuer: b.base + "/", Audience: b.audience(), Tenant: "prod"}), false},
		{"client that does not exist", craft(t, hdr("RS256"), claims(map[string]any{"azp": "ghost", "sub": "ghost@clients"}), rs256(key)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.api(http.MethodGet, "/users", tt.token, nil)
			if tt.ok {
				r.want(t, 200, `[]`)
				return
			}
			r.wantError(t, 401, "", "Invalid token")
		})
	}

	// A token that expires while the server runs stops working.
	tok := b.token()
	b.admin(http.MethodGet, "/users", nil).wantStatus(t, 200)
	b.api(http.MethodGet, "/users", tok, nil).wantStatus(t, 200)
	b.Clock.Advance(time.Hour + time.Minute)
	b.api(http.MethodGet, "/users", tok, nil).wantError(t, 401, "", "Invalid token")
}

// jwksModulus returns the raw modulus bytes the server publishes.
func jwksModulus(t *testing.T, b *env) []byte {
	t.Helper()
	var set struct {
		Keys []struct{ N string }
	}
	b.request(http.MethodGet, "/.well-known/jwks.json", nil).decode(t, &set)
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys in the JWKS, want 1", len(set.Keys))
	}
	return b64(t, set.Keys[0].N)
}

// TestDeletedClientToken: a token stops working once its client is gone, at
// the latest auth.ClientCacheTTL after the server last looked the client up.
func TestDeletedClientToken(t *testing.T) {
	t.Parallel()
	// Clients have no delete in the store API yet: the server looks them up
	// through a store in which a client can be deleted.
	deleted := &deletedClients{gone: map[string]bool{}}
	b := setup(t, func(s *httpapi.Server) {
		deleted.ClientFinder = s.Store
		s.Issuer.Clients = &auth.ClientCache{Store: deleted, Clock: s.Clock}
	})
	c := &userport.Client{Tenant: b.tenant, ID: "short-lived", SecretHash: auth.HashSecret(adminSecret),
		Scopes: []string{auth.ScopeReadUsers}, CreatedAt: b.Clock.Now()}
	must(t, b.Store.PutClient(b.ctx(), c))
	tok := b.clientToken(c.ID, adminSecret)
	b.api(http.MethodGet, "/users", tok, nil).want(t, 200, `[]`)

	deleted.delete(c.ID)
	b.Clock.Advance(auth.ClientCacheTTL)
	b.api(http.MethodGet, "/users", tok, nil).wantError(t, 401, "", "Invalid token")
	b.admin(http.MethodGet, "/users", nil).want(t, 200, `[]`) // other clients' tokens still work
}

// TestUnauthorizedAttributes: a 401 repeats its reason under attributes, as
// Auth0 does; a request without a token has none.
func TestUnauthorizedAttributes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(http.MethodGet, "/users", "not-a-token", nil).want(t, 401,
		`{"statusCode":401,"error":"Unauthorized","message":"Invalid token","attributes":{"error":"Invalid token"}}`)
	b.api(http.MethodGet, "/users", "", nil).want(t, 401,
		`{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}`)
}

// deletedClients is a client store in which clients can be deleted: a
// deleted one is not found.
type deletedClients struct {
	auth.ClientFinder
	mu   sync.Mutex
	gone map[string]bool
}

// delete deletes the client id.
func (d *deletedClients) delete(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gone[id] = true
}

// FindClient finds the client unless it was deleted.
func (d *deletedClients) FindClient(ctx context.Context, tenant, id string) (*userport.Client, error) {
	d.mu.Lock()
	gone := d.gone[id]
	d.mu.Unlock()
	if gone {
		return nil, userport.Errorf(userport.ENOTFOUND, "", "The client does not exist.")
	}
	return d.ClientFinder.FindClient(ctx, tenant, id)
}
