package importer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/userport/userport/importer"
)

func TestMask(t *testing.T) {
	const totp = "JBSWY3DPEHPK3PNP"
	tests := []struct {
		name, record, want string
	}{
		{"no secret: as given", `{"email":"a@b.co", "name":"Ann"}`, `{"email":"a@b.co", "name":"Ann"}`},
		{"root passwords", `{"email":"a@b.co","password":"hunter2","password_hash":"$2b$x"}`,
			`{"email":"a@b.co","password":"*****","password_hash":"*****"}`},
		{"custom_password_hash masked whole", `{"custom_password_hash":{"algorithm":"md5","hash":{"value":"abc"},"salt":{"value":"s"}}}`,
			`{"custom_password_hash":"*****"}`},
		{"totp secret in an array", `{"mfa_factors":[{"phone":{"value":"+15550100"}},{"totp":{"secret":"` + totp + `"}}]}`,
			`{"mfa_factors":[{"phone":{"value":"+15550100"}},{"totp":"*****"}]}`},
		{"totp given as a string", `{"mfa_factors":[{"totp":"` + totp + `"}]}`, `{"mfa_factors":[{"totp":"*****"}]}`},
		{"email factor is no secret", `{"mfa_factors":[{"email":{"value":"a@b.co"}}],"password":"x"}`,
			`{"mfa_factors":[{"email":{"value":"a@b.co"}}],"password":"*****"}`},
		{"identity tokens", `{"identities":[{"provider":"github","access_token":"gho_1","refresh_token":"r1","access_token_secret":"s1","id_token":"i1","expires_in":3600}]}`,
			`{"identities":[{"provider":"github","access_token":"*****","refresh_token":"*****","access_token_secret":"*****","id_token":"*****","expires_in":3600}]}`},
		{"unknown secret-looking keys anywhere", `{"user_metadata":{"apiKey":"k1","Client-Secret":"c1","PRIVATE_KEY":"p1","color":"red"},"app_metadata":{"nested":[[{"sessionToken":{"a":1}}]]}}`,
			`{"user_metadata":{"apiKey":"*****","Client-Secret":"*****","PRIVATE_KEY":"*****","color":"red"},"app_metadata":{"nested":[[{"sessionToken":"*****"}]]}}`},
		{"escaped key", `{"pass\u0077ord":"hunter2","a\"b":"\u00e9"}`, `{"password":"*****","a\"b":"\u00e9"}`},
		{"duplicate keys both masked", `{"password":"a","password":"b"}`, `{"password":"*****","password":"*****"}`},
		{"non-object record", `[{"secret":"x"},1,"s",null]`, `[{"secret":"*****"},1,"s",null]`},
		{"scalar record", `"secret"`, `"secret"`},
		{"invalid UTF-8", "{\"name\":\"a\xffb\",\"password\":\"x\"}", "{\"name\":\"a\uFFFDb\",\"password\":\"*****\"}"},
		{"invalid JSON", `{"email":"a@b.co","password":"hunter2"`, `null`},
		{"invalid JSON, no object", `password: hunter2`, `null`},
		{"pwd and pin keys", `{"pwd":"hunter2","user_metadata":{"adminPwd":"a","pin":"1234","userPIN":"5678","pin_code":"0000","PinCode":"1","pin2":"2"}}`,
			`{"pwd":"*****","user_metadata":{"adminPwd":"*****","pin":"*****","userPIN":"*****","pin_code":"*****","PinCode":"*****","pin2":"*****"}}`},
		{"pin only as a whole word", `{"user_metadata":{"shipping":"x","pinterest":"y","spinner":"z","opinion":"w"}}`,
			`{"user_metadata":{"shipping":"x","pinterest":"y","spinner":"z","opinion":"w"}}`},
		{"otpauth URI under any key", `{"user_metadata":{"note":"seed otpauth://totp/Acme:ann?secret=` + totp + `&issuer=Acme","ok":"x"}}`,
			`{"user_metadata":{"note":"*****","ok":"x"}}`},
		{"otpauth URI in an array, any case", `{"app_metadata":{"uris":["https://a.example","OTPAuth://hotp/x?secret=` + totp + `"]}}`,
			`{"app_metadata":{"uris":["https://a.example","*****"]}}`},
		{"otpauth URI escaped", `{"n":"otpauth:\/\/totp\/x?secret=` + totp + `","m":"\u006ftpauth://totp/y"}`,
			`{"n":"*****","m":"*****"}`},
		{"otpauth URI as the record", `"otpauth://totp/x?secret=` + totp + `"`, `"*****"`},
		{"otpauth URI as a key", `{"m":{"otpauth://totp/x?secret=` + totp + `":true,"k":1}}`, `{"m":{"*****":"*****","k":1}}`},
		{"otpauth without its slashes is text", `{"n":"otpauth is a scheme"}`, `{"n":"otpauth is a scheme"}`},
		{"deeper than the depth rule", `{"a":` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}`,
			`{"a":` + strings.Repeat(`[`, 31) + `"*****"` + strings.Repeat(`]`, 31) + `}`},
		{"deeper than encoding/json reads", `{"a":` + strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000) + `}`,
			`{"a":` + strings.Repeat(`[`, 31) + `"*****"` + strings.Repeat(`]`, 31) + `}`},
		{"too deep for any decoder", `{"a":` + strings.Repeat(`[`, 40000) + strings.Repeat(`]`, 40000) + `}`, `null`},
		{"too deep to walk", `{"a":` + strings.Repeat(`[`, 40) + `"x"` + strings.Repeat(`]`, 40) + `}`,
			`{"a":` + strings.Repeat(`[`, 31) + `"*****"` + strings.Repeat(`]`, 31) + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := importer.Mask([]byte(tt.record))
			if string(got) != tt.want {
				t.Errorf("Mask(%s) =\n%s\nwant\n%s", tt.record, got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("Mask(%s) = %s, not JSON", tt.record, got)
			}
		})
	}
}
