package auth_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/testutil"
)

var ctx = context.Background()

func TestIssueVerifyRoundTrip(t *testing.T) {
	iss, _, _ := setup(t)
	token, expiresIn, err := iss.Issue("c1", []string{"read:users", "create:users"})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if expiresIn != 86400 {
		t.Errorf("expiresIn = %d, want 86400", expiresIn)
	}

	header, payload, _ := segments(t, token)
	wantHeader := map[string]any{"alg": "RS256", "typ": "JWT", "kid": iss.Keys.SigningKeyID()}
	for k, want := range wantHeader {
		if header[k] != want {
			t.Errorf("header %s = %v, want %v", k, header[k], want)
		}
	}
	wantPayload := map[string]any{
		"iss":   testIssuer,
		"sub":   "c1@clients",
		"aud":   testAudience,
		"iat":   float64(t0.Unix()),
		"exp":   float64(t0.Unix() + 86400),
		"azp":   "c1",
		"gty":   "client-credentials",
		"scope": "read:users create:users",

		auth.TenantClaim: testTenant,
	}
	for k, want := range wantPayload {
		if payload[k] != want {
			t.Errorf("claim %s = %#v, want %#v", k, payload[k], want)
		}
	}
	if len(payload) != len(wantPayload) {
		t.Errorf("payload has %d claims, want %d: %v", len(payload), len(wantPayload), payload)
	}

	c, err := iss.Verify(ctx, token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.ClientID != "c1" {
		t.Errorf("ClientID = %q, want c1", c.ClientID)
	}
	if c.Subject != "c1@clients" {
		t.Errorf("Subject = %q, want c1@clients", c.Subject)
	}
	if !slices.Equal(c.Scopes, []string{"read:users", "create:users"}) {
		t.Errorf("Scopes = %q", c.Scopes)
	}
	if !c.ExpiresAt.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("ExpiresAt = %v, want %v", c.ExpiresAt, t0.Add(24*time.Hour))
	}
}

func TestIssueTTLAndNoScope(t *testing.T) {
	iss, _, _ := setup(t)
	iss.TTL = time.Hour
	token, expiresIn, err := iss.Issue("c2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if expiresIn != 3600 {
		t.Errorf("expiresIn = %d, want 3600", expiresIn)
	}
	c, err := iss.Verify(ctx, token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(c.Scopes) != 0 || !c.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("claims = %+v", c)
	}
}

// wantInvalid fails unless err is the one EUNAUTHORIZED "Invalid token" error.
func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("Verify accepted the token")
	}
	if got := userport.ErrorCode(err); got != userport.EUNAUTHORIZED {
		t.Errorf("code = %q, want %q (%v)", got, userport.EUNAUTHORIZED, err)
	}
	if got := userport.ErrorMessage(err); got != "Invalid token" {
		t.Errorf("message = %q, want Invalid token", got)
	}
}

// signers over a private key, by JWS algorithm.
func rsaSign(t *testing.T, priv *rsa.PrivateKey, alg string) func([]byte) []byte {
	return func(input []byte) []byte {
		var h crypto.Hash
		var digest []byte
		switch alg {
		case "RS256", "PS256":
			d := sha256.Sum256(input)
			h, digest = crypto.SHA256, d[:]
		case "RS384":
			d := sha512.Sum384(input)
			h, digest = crypto.SHA384, d[:]
		default:
			t.Fatalf("no signer for %s", alg)
		}
		var sig []byte
		var err error
		if strings.HasPrefix(alg, "PS") {
			sig, err = rsa.SignPSS(rand.Reader, priv, h, digest, nil)
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, priv, h, digest)
		}
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func hmacSign(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

func noSign([]byte) []byte { return nil }

func with(claims map[string]any, k string, v any) map[string]any {
	if v == nil {
		delete(claims, k)
	} else {
		claims[k] = v
	}
	return claims
}

// tamper replaces the claim k of token's payload by v, keeping header and signature.
func tamper(t *testing.T, token, k string, v any) string {
	_, payload, parts := segments(t, token)
	payload[k] = v
	return parts[0] + "." + b64JSON(t, payload) + "." + parts[2]
}

func TestVerifyHandMadeControls(t *testing.T) {
	// The hand-made tokens of TestVerifyRejects differ from these in one thing only.
	iss, _, dir := setup(t)
	priv := privateKey(t, keyFiles(t, dir)[0])
	hdr := map[string]any{"alg": "RS256", "typ": "JWT", "kid": iss.Keys.SigningKeyID()}
	for name, claims := range map[string]map[string]any{
		"as issued": validClaims(),
		"aud array": with(validClaims(), "aud", []string{"https://other/", testAudience}),
		"no scope":  with(validClaims(), "scope", nil),
	} {
		if _, err := iss.Verify(ctx, handToken(t, hdr, claims, rsaSign(t, priv, "RS256"))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	iss, _, dir := setup(t)
	kid := iss.Keys.SigningKeyID()
	priv := privateKey(t, keyFiles(t, dir)[0])
	good, _, err := iss.Issue("c1", []string{"read:users"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, otherDir := setup(t) // a key set the verifier does not know
	otherPriv := privateKey(t, keyFiles(t, otherDir)[0])
	foreign, _, err := other.Issue("c1", []string{"read:users"})
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&priv.PublicKey)})
	jwks, err := iss.Keys.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	wrongIss := *iss
	wrongIss.Issuer = "https://evil.example/"
	wrongAud := *iss
	wrongAud.Audience = "http://127.0.0.1:8080/api/v3/"
	otherTenant := *iss
	otherTenant.Tenant = "prod"
	issue := func(i *auth.Issuer) string {
		tok, _, err := i.Issue("c1", []string{"read:users"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	h := func(alg string, kid any) map[string]any {
		m := map[string]any{"alg": alg, "typ": "JWT"}
		if kid != nil {
			m["kid"] = kid
		}
		return m
	}
	rs256 := rsaSign(t, priv, "RS256")

	tests := map[string]string{
		"empty":                 "",
		"word":                  "garbage",
		"three dots":            "a.b.c",
		"two empty dots":        "..",
		"four parts":            good + ".x",
		"no signature":          strings.Join(strings.Split(good, ".")[:2], ".") + ".",
		"bad base64":            "!!!.???.***",
		"json serialization":    `{"payload":"e30","signatures":[]}`,
		"huge":                  strings.Repeat("a", 20000) + ".b.c",
		"alg none":              handToken(t, h("none", kid), validClaims(), noSign),
		"alg None":              handToken(t, h("None", kid), validClaims(), noSign),
		"alg none sig kept":     handToken(t, h("none", kid), validClaims(), rs256),
		"no alg":                handToken(t, map[string]any{"typ": "JWT", "kid": kid}, validClaims(), rs256),
		"HS256 pem secret":      handToken(t, h("HS256", kid), validClaims(), hmacSign(pubPEM)),
		"HS256 pkcs1 secret":    handToken(t, h("HS256", kid), validClaims(), hmacSign(pkcs1PEM)),
		"HS256 jwks secret":     handToken(t, h("HS256", kid), validClaims(), hmacSign(jwks)),
		"RS384 known key":       handToken(t, h("RS384", kid), validClaims(), rsaSign(t, priv, "RS384")),
		"PS256 known key":       handToken(t, h("PS256", kid), validClaims(), rsaSign(t, priv, "PS256")),
		"RS256 as RS384":        handToken(t, h("RS384", kid), validClaims(), rs256),
		"missing kid":           handToken(t, h("RS256", nil), validClaims(), rs256),
		"empty kid":             handToken(t, h("RS256", ""), validClaims(), rs256),
		"unknown kid":           foreign,
		"foreign key, our kid":  handToken(t, h("RS256", kid), validClaims(), rsaSign(t, otherPriv, "RS256")),
		"wrong iss":             issue(&wrongIss),
		"wrong aud":             issue(&wrongAud),
		"no iss":                handToken(t, h("RS256", kid), with(validClaims(), "iss", nil), rs256),
		"no aud":                handToken(t, h("RS256", kid), with(validClaims(), "aud", nil), rs256),
		"no exp":                handToken(t, h("RS256", kid), with(validClaims(), "exp", nil), rs256),
		"no iat":                handToken(t, h("RS256", kid), with(validClaims(), "iat", nil), rs256),
		"no azp":                handToken(t, h("RS256", kid), with(validClaims(), "azp", nil), rs256),
		"sub not azp":           handToken(t, h("RS256", kid), with(validClaims(), "sub", "c2@clients"), rs256),
		"scope not a string":    handToken(t, h("RS256", kid), with(validClaims(), "scope", []string{"read:users"}), rs256),
		"tampered scope":        tamper(t, good, "scope", "read:users delete:users"),
		"tampered sub":          tamper(t, tamper(t, good, "sub", "c2@clients"), "azp", "c2"),
		"tampered exp":          tamper(t, good, "exp", t0.Add(1000*time.Hour).Unix()),
		"flipped signature bit": flipSig(t, good),
		"unknown crit":          handToken(t, withHeader(h("RS256", kid), "crit", []string{"urn:x:ext"}, "urn:x:ext", true), validClaims(), rs256),
		"crit of a known name":  handToken(t, withHeader(h("RS256", kid), "crit", []string{"exp"}), validClaims(), rs256),
		"padded signature":      good + "==",
		"padded payload":        padPayload(t, h("RS256", kid), rs256),
		"std base64 signature":  stdSig(t, h("RS256", kid), rs256),
		"exp a string":          handToken(t, h("RS256", kid), with(validClaims(), "exp", "9999999999"), rs256),
		"exp a valid string":    handToken(t, h("RS256", kid), with(validClaims(), "exp", strconv.FormatInt(t0.Add(time.Hour).Unix(), 10)), rs256),
		"iat a string":          handToken(t, h("RS256", kid), with(validClaims(), "iat", strconv.FormatInt(t0.Unix(), 10)), rs256),
		"nbf a string":          handToken(t, h("RS256", kid), with(validClaims(), "nbf", strconv.FormatInt(t0.Unix(), 10)), rs256),
		"exp a boolean":         handToken(t, h("RS256", kid), with(validClaims(), "exp", true), rs256),
		"nbf in the future":     handToken(t, h("RS256", kid), with(validClaims(), "nbf", t0.Add(time.Hour).Unix()), rs256),
		"no tenant":             handToken(t, h("RS256", kid), with(validClaims(), auth.TenantClaim, nil), rs256),
		"other tenant":          handToken(t, h("RS256", kid), with(validClaims(), auth.TenantClaim, "prod"), rs256),
		"empty tenant":          handToken(t, h("RS256", kid), with(validClaims(), auth.TenantClaim, ""), rs256),
		"tenant not a string":   handToken(t, h("RS256", kid), with(validClaims(), auth.TenantClaim, []string{testTenant}), rs256),
		"unknown client":        handToken(t, h("RS256", kid), with(with(validClaims(), "azp", "c9"), "sub", "c9@clients"), rs256),
		"other tenant issued":   issue(&otherTenant),
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := iss.Verify(ctx, token)
			wantInvalid(t, err)
		})
	}
}

func TestVerifyExpiryLeeway(t *testing.T) {
	iss, clock, _ := setup(t)
	iss.TTL = time.Hour
	token, _, err := iss.Issue("c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := t0.Add(time.Hour)
	tests := []struct {
		at time.Time
		ok bool
	}{
		{exp.Add(-time.Second), true},
		{exp, true},
		{exp.Add(auth.Leeway - time.Second), true},
		{exp.Add(auth.Leeway), false},
		{exp.Add(time.Hour), false},
	}
	for _, tt := range tests {
		clock.Set(tt.at)
		_, err := iss.Verify(ctx, token)
		if tt.ok && err != nil {
			t.Errorf("at exp%+v: %v", tt.at.Sub(exp), err)
		} else if !tt.ok {
			wantInvalid(t, err)
		}
	}
}

func TestVerifyIssuedInFuture(t *testing.T) {
	iss, clock, _ := setup(t)
	clock.Set(t0.Add(time.Minute))
	token, _, err := iss.Issue("c1", nil) // iat = t0+60s
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(29 * time.Second)) // 31 s before iat
	_, err = iss.Verify(ctx, token)
	wantInvalid(t, err)
	clock.Set(t0.Add(30 * time.Second)) // exactly the leeway
	if _, err := iss.Verify(ctx, token); err != nil {
		t.Errorf("within leeway: %v", err)
	}
}

func TestRotation(t *testing.T) {
	iss, _, dir := setup(t)
	oldKid := iss.Keys.SigningKeyID()
	oldToken, _, err := iss.Issue("c1", []string{"read:users"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Keys.Rotate(t.Context()); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	newKid := iss.Keys.SigningKeyID()
	if newKid == oldKid {
		t.Fatalf("signing kid unchanged after Rotate: %s", newKid)
	}
	newToken, _, err := iss.Issue("c1", []string{"read:users"})
	if err != nil {
		t.Fatal(err)
	}
	if header, _, _ := segments(t, newToken); header["kid"] != newKid {
		t.Errorf("new token kid = %v, want %s", header["kid"], newKid)
	}
	for name, tok := range map[string]string{"old": oldToken, "new": newToken} {
		if _, err := iss.Verify(ctx, tok); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
	}
	if got := jwksKids(t, iss.Keys); !slices.Equal(got, []string{oldKid, newKid}) {
		t.Errorf("JWKS kids = %q, want %q", got, []string{oldKid, newKid})
	}

	reloaded, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := reloaded.KeyIDs(); !slices.Equal(got, []string{oldKid, newKid}) {
		t.Errorf("reloaded kids = %q, want %q", got, []string{oldKid, newKid})
	}
}

func jwksKids(t *testing.T, ks *auth.KeySet) []string {
	t.Helper()
	data, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kid string }
	}
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// flipSig flips one bit of token's signature.
func flipSig(t *testing.T, token string) string {
	parts := strings.Split(token, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 1
	return parts[0] + "." + parts[1] + "." + b64(sig)
}

func TestConcurrentRotateAndVerify(t *testing.T) {
	iss, _, _ := setup(t)
	token, _, err := iss.Issue("c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := iss.Keys.Rotate(context.Background()); done <- err }()
	for range 50 {
		if _, err := iss.Verify(ctx, token); err != nil {
			t.Fatalf("Verify during Rotate: %v", err)
		}
		if _, _, err := iss.Issue("c1", nil); err != nil {
			t.Fatalf("Issue during Rotate: %v", err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(ctx, token); err != nil {
		t.Fatalf("Verify after Rotate: %v", err)
	}
}

// withHeader returns header with the name, value pairs kv added.
func withHeader(header map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		header[kv[i].(string)] = kv[i+1]
	}
	return header
}

// padPayload returns a token signed by sign whose payload segment carries
// base64 padding ("="), the padded text being what is signed.
func padPayload(t *testing.T, header map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	for extra := ""; ; extra += "x" {
		claims := with(validClaims(), "pad", extra)
		raw, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw)%3 == 0 {
			continue
		}
		input := b64JSON(t, header) + "." + base64.URLEncoding.EncodeToString(raw)
		return input + "." + b64(sign([]byte(input)))
	}
}

// stdSig returns a token signed by sign whose signature is written in the
// standard base64 alphabet ("+" and "/"), trying claims until it holds one.
func stdSig(t *testing.T, header map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	for i := 0; ; i++ {
		input := b64JSON(t, header) + "." + b64JSON(t, with(validClaims(), "jti", strconv.Itoa(i)))
		sig := base64.RawStdEncoding.EncodeToString(sign([]byte(input)))
		if strings.ContainsAny(sig, "+/") {
			return input + "." + sig
		}
	}
}

func TestIssueNeedsTenant(t *testing.T) {
	iss, _, _ := setup(t)
	iss.Tenant = ""
	if tok, _, err := iss.Issue("c1", nil); err == nil {
		t.Fatalf("Issue without a tenant = %q, want an error", tok)
	}
}

func TestVerifyClientGone(t *testing.T) {
	iss, _, _ := setup(t)
	clients := iss.Clients.(*fakeClients)
	token, _, err := iss.Issue("c1", []string{"read:users"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verify(ctx, token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Tenant != testTenant {
		t.Errorf("Tenant = %q, want %q", c.Tenant, testTenant)
	}
	clients.remove("c1")
	_, err = iss.Verify(ctx, token)
	wantInvalid(t, err)
}

func TestVerifyClientLookupFails(t *testing.T) {
	iss, _, _ := setup(t)
	token, _, err := iss.Issue("c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	iss.Clients.(*fakeClients).err = errors.New("disk I/O error")
	_, err = iss.Verify(ctx, token)
	if err == nil || userport.ErrorCode(err) != userport.EINTERNAL {
		t.Errorf("Verify with a failing store: %v (code %q), want an internal error", err, userport.ErrorCode(err))
	}
	iss.Clients = nil
	if _, err = iss.Verify(ctx, token); err == nil || userport.ErrorCode(err) != userport.EINTERNAL {
		t.Errorf("Verify without a client store: %v, want an internal error", err)
	}
}

func TestClientCache(t *testing.T) {
	clock := testutil.NewClock(t0)
	store := newFakeClients("c1")
	cache := &auth.ClientCache{Store: store, TTL: 10 * time.Second, Clock: clock}
	find := func(id string) error {
		_, err := cache.FindClient(ctx, testTenant, id)
		return err
	}
	steps := []struct {
		name    string
		do      func()
		id      string
		found   bool
		lookups int // store lookups made so far
	}{
		{"first lookup asks the store", nil, "c1", true, 1},
		{"second is remembered", nil, "c1", true, 1},
		{"a deleted client is remembered within the TTL", func() { store.remove("c1"); clock.Advance(9 * time.Second) }, "c1", true, 1},
		{"and gone after it", func() { clock.Advance(time.Second) }, "c1", false, 2},
		{"not found is not remembered", nil, "c1", false, 3},
		{"an unknown client is looked up", nil, "c9", false, 4},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		err := find(st.id)
		if st.found && err != nil || !st.found && userport.ErrorCode(err) != userport.ENOTFOUND {
			t.Errorf("%s: err = %v, found want %v", st.name, err, st.found)
		}
		if got := store.lookups(); got != st.lookups {
			t.Errorf("%s: %d store lookups, want %d", st.name, got, st.lookups)
		}
	}
}

func TestTTLCap(t *testing.T) {
	iss, _, _ := setup(t)
	tests := []struct {
		ttl time.Duration
		ok  bool
	}{
		{time.Second, true},
		{auth.MaxTTL, true},
		{auth.MaxTTL + time.Second, false},
		{time.Millisecond, false},
		{-time.Hour, false},
	}
	for _, tt := range tests {
		if err := auth.CheckTTL(tt.ttl); (err == nil) != tt.ok {
			t.Errorf("CheckTTL(%v) = %v, want ok %v", tt.ttl, err, tt.ok)
		}
	}
	iss.TTL = auth.MaxTTL + time.Hour
	if tok, _, err := iss.Issue("c1", nil); err == nil {
		t.Errorf("Issue with TTL %v = %q, want an error", iss.TTL, tok)
	}
}
