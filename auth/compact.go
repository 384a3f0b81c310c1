package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/userport/userport/jsonstrict"
)

// segmentEncoding is the one spelling of a JWS segment (RFC 7515 section 2):
// base64url without padding, with zero trailing bits. jwx also takes padded and
// standard-alphabet segments, which would give one token several spellings.
var segmentEncoding = base64.RawURLEncoding.Strict()

// numericClaims are the claims that must be JSON numbers (RFC 7519 NumericDate);
// jwx would also take "exp": "9999999999".
var numericClaims = []string{"exp", "nbf", "iat"}

// checkCompact refuses what jwx accepts leniently in a compact JWS: a segment
// not in segmentEncoding, a header or payload that is not a JSON object or
// that jsonstrict refuses (a key twice at any depth, which jwx reads as its
// last value; invalid UTF-8), a header that carries crit (no extension is
// understood here, so RFC 7515 section 4.1.11 says to reject any), and a
// payload whose exp, nbf or iat is not a number.
func checkCompact(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	var raw [3][]byte
	for i, p := range parts {
		b, err := segmentEncoding.DecodeString(p)
		if err != nil {
			return fmt.Errorf("segment %d is not unpadded base64url: %w", i+1, err)
		}
		raw[i] = b
	}
	header, err := jsonObject("header", raw[0])
	if err != nil {
		return err
	}
	if _, ok := header["crit"]; ok {
		return errors.New("header has crit: no extension is understood")
	}
	claims, err := jsonObject("payload", raw[1])
	if err != nil {
		return err
	}
	for _, name := range numericClaims {
		if v, ok := claims[name]; ok && !isNumber(v) {
			return fmt.Errorf("claim %s is not a number", name)
		}
	}
	return nil
}

// jsonObject decodes data, the segment named what, as a JSON object that
// jsonstrict accepts: the one reading every parser agrees on.
func jsonObject(what string, data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%s is not a JSON object", what)
	}
	if err := jsonstrict.Check(data); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}

// isNumber reports whether raw is a JSON number.
func isNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}
