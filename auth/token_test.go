package auth_test

import (
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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

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
	}
	for k, want := range wantPayload {
		if payload[k] != want {
			t.Errorf("claim %s = %#v, want %#v", k, payload[k], want)
		}
	}
	if len(payload) != len(wantPayload) {
		t.Errorf("payload has %d claims, want %d: %v", len(payload), len(wantPayload), payload)
	}

	c, err := iss.Verify(token)
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
	c, err := iss.Verify(token)
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
		if _, err := iss.Verify(handToken(t, hdr, claims, rsaSign(t, priv, "RS256"))); err != nil {
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
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := iss.Verify(token)
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
		_, err := iss.Verify(token)
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
	_, err = iss.Verify(token)
	wantInvalid(t, err)
	clock.Set(t0.Add(30 * time.Second)) // exactly the leeway
	if _, err := iss.Verify(token); err != nil {
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
	if err := iss.Keys.Rotate(); err != nil {
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
		if _, err := iss.Verify(tok); err != nil {
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
	go func() { done <- iss.Keys.Rotate() }()
	for range 50 {
		if _, err := iss.Verify(token); err != nil {
			t.Fatalf("Verify during Rotate: %v", err)
		}
		if _, _, err := iss.Issue("c1", nil); err != nil {
			t.Fatalf("Issue during Rotate: %v", err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(token); err != nil {
		t.Fatalf("Verify after Rotate: %v", err)
	}
}
