package localblob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/userport/userport"
)

// signatureEncoding rejects non-canonical encodings, so that a signature has
// exactly one spelling.
var signatureEncoding = base64.RawURLEncoding.Strict()

// denial is why a download is refused; its text is the message of the 403.
type denial string

func (d denial) Error() string { return string(d) }

// Reasons a download link is refused.
const (
	errMalformed denial = "Missing or malformed Expires or Signature"
	errSignature denial = "Signature does not match"
	errExpired   denial = "Request has expired"
)

// SignedURL returns {baseURL}/exports/{key}?Expires=<unix seconds>&Signature=<mac>,
// which Handler serves until ttl has passed, on a store for the same tenant
// (ForTenant). The expiry is rounded up to a whole second. With sha256, the
// blob's hex sha256 sum (its export's manifest), the link also carries
// &SHA256=<hex>, signed with the rest, and Handler sends it as the file's
// strong ETag. An invalid key or sha256, or a ttl <= 0, is an EINVALID
// error.
func (s *Store) SignedURL(ctx context.Context, key string, ttl time.Duration, sum string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", userport.Errorf(userport.EINVALID, "", "signed URL lifetime %v is not positive", ttl)
	}
	if sum != "" && !validSHA256(sum) {
		return "", userport.Errorf(userport.EINVALID, "", "invalid sha256 %q for a download link", sum)
	}
	end := s.clock.Now().Add(ttl)
	expires := end.Unix()
	if end.After(time.Unix(expires, 0)) {
		expires++
	}
	u := s.baseURL + "/exports/" + escapeKey(key) + "?Expires=" + strconv.FormatInt(expires, 10)
	if sum != "" {
		u += "&SHA256=" + sum
	}
	return u + "&Signature=" + signatureEncoding.EncodeToString(s.mac(key, expires, sum)), nil
}

// validSHA256 reports whether s is a sha256 in lower-case hex, its one
// spelling.
func validSHA256(s string) bool {
	return len(s) == 2*sha256.Size && !strings.ContainsFunc(s, func(r rune) bool { return (r < '0' || r > '9') && (r < 'a' || r > 'f') })
}

// escapeKey escapes each segment of key for a URL path.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// mac is HMAC-SHA256 of the store's tenant, the key, the expiry and the
// blob's sha256 when the link names it, each on its own line; none of them
// holds a line break. Links without a sha256 keep the MAC of version 2.
func (s *Store) mac(key string, expires int64, sum string) []byte {
	m := hmac.New(sha256.New, s.key)
	if sum == "" {
		m.Write([]byte("userport-export v2\n" + s.tenant + "\n" + key + "\n" + strconv.FormatInt(expires, 10)))
	} else {
		m.Write([]byte("userport-export v3\n" + s.tenant + "\n" + key + "\n" + strconv.FormatInt(expires, 10) + "\n" + sum))
	}
	return m.Sum(nil)
}

// verify checks the Expires, SHA256 (if any) and Signature of rawQuery for
// key, then the expiry, and returns the link's sha256 ("" for none).
func (s *Store) verify(key, rawQuery string) (string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil || len(q["Expires"]) != 1 || len(q["Signature"]) != 1 || len(q["SHA256"]) > 1 {
		return "", errMalformed
	}
	expires, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	if err != nil || expires <= 0 || strconv.FormatInt(expires, 10) != q.Get("Expires") {
		return "", errMalformed
	}
	sum := q.Get("SHA256")
	if _, ok := q["SHA256"]; ok && !validSHA256(sum) {
		return "", errMalformed
	}
	sig, err := signatureEncoding.DecodeString(q.Get("Signature"))
	if err != nil {
		return "", errMalformed
	}
	if !hmac.Equal(sig, s.mac(key, expires, sum)) {
		return "", errSignature
	}
	if !s.clock.Now().Before(time.Unix(expires, 0)) {
		return "", errExpired
	}
	return sum, nil
}
