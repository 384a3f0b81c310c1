package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// segmentEncoding is the one spelling of a JWS segment (RFC 7515 section 2):
// base64url without padding, with zero trailing bits. jwx also takes padded and
// standard-alphabet segments, which would give one token several spellings.
var segmentEncoding = base64.RawURLEncoding.Strict()

// numericClaims are the claims that must be JSON numbers (RFC 7519 NumericDate);
// jwx would also take "exp": "9999999999".
var numericClaims = []string{"exp", "nbf", "iat"}

// checkCompact refuses what jwx accepts leniently in a compact JWS: a segment
// not in segmentEncoding, a header that is not a JSON object or that carries
// crit (no extension is understood here, so RFC 7515 section 4.1.11 says to
// reject any), and a payload whose exp, nbf or iat is not a number.
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
	var header, claims map[string]json.RawMessage
	if err := json.Unmarshal(raw[0], &header); err != nil || header == nil {
		return errors.New("header is not a JSON object")
	}
	if _, ok := header["crit"]; ok {
		return errors.New("header has crit: no extension is understood")
	}
	if err := json.Unmarshal(raw[1], &claims); err != nil || claims == nil {
		return errors.New("payload is not a JSON object")
	}
	for _, name := range numericClaims {
		if v, ok := claims[name]; ok && !isNumber(v) {
			return fmt.Errorf("claim %s is not a number", name)
		}
	}
	return nil
}

// isNumber reports whether raw is a JSON number.
func isNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}
