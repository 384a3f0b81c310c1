package auth_test

import (
	"fmt"
	"testing"
	"time"
)

// rawToken signs a compact JWS whose header and payload are the JSON texts
// given, byte for byte (a map cannot hold a key twice).
func rawToken(header, payload string, sign func([]byte) []byte) string {
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	return input + "." + b64(sign([]byte(input)))
}

// TestVerifyRejectsDuplicateKeys checks that a token whose header or payload
// gives a key twice, at any depth and however it is escaped, is refused as
// invalid, as a request body with a key twice is: jwx would read the last
// value. The same texts without the repeat are accepted.
func TestVerifyRejectsDuplicateKeys(t *testing.T) {
	iss, _, dir := setup(t)
	sign := rsaSign(t, privateKey(t, keyFiles(t, dir)[0]), "RS256")
	kid := iss.Keys.SigningKeyID()
	header := fmt.Sprintf(`{"alg":"RS256","typ":"JWT","kid":%q%%s}`, kid)
	payload := fmt.Sprintf(`{"iss":%q,"sub":"c1@clients","aud":%q,"iat":%d,"exp":%d,"azp":"c1","gty":"client-credentials",`+
		`"scope":"read:users","https://userport/tenant":%q%%s}`,
		testIssuer, testAudience, t0.Unix(), t0.Add(24*time.Hour).Unix(), testTenant)
	for _, tc := range []struct {
		name          string
		header, claim string // appended to the header's and payload's members
		ok            bool
	}{
		{name: "control", ok: true},
		{name: "control with an object claim", claim: `,"x":{"a":1,"b":[{"a":2}]}`, ok: true},
		{name: "header kid twice", header: fmt.Sprintf(`,"kid":%q`, kid)},
		{name: "header alg twice", header: `,"alg":"RS256"`},
		{name: "header key escaped", header: `,"\u0074yp":"JWT"`},
		{name: "payload scope twice", claim: `,"scope":"read:users create:users"`},
		{name: "payload azp twice", claim: `,"azp":"c1"`},
		{name: "payload tenant escaped", claim: `,"https:\/\/userport\/tenant":"dev"`},
		{name: "payload nested", claim: `,"x":{"a":1,"a":2}`},
		{name: "payload nested in an array", claim: `,"x":[{"a":1},{"b":{"c":1,"c":1}}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := rawToken(fmt.Sprintf(header, tc.header), fmt.Sprintf(payload, tc.claim), sign)
			_, err := iss.Verify(ctx, token)
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantInvalid(t, err)
		})
	}
}
