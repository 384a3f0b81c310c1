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
// (ForTenant). The expiry is rounded up to a
// whole second. An invalid key or a ttl <= 0 is an EINVALID error.
func (s *Store) SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", userport.Errorf(userport.EINVALID, "", "signed URL lifetime %v is not positive", ttl)
	}
	end := s.clock.Now().Add(ttl)
	expires := end.Unix()
	if end.After(time.Unix(expires, 0)) {
		expires++
	}
	return s.baseURL + "/exports/" + escapeKey(key) + "?Expires=" + strconv.FormatInt(expires, 10) +
		"&Signature=" + signatureEncoding.EncodeToString(s.mac(key, expires)), nil
}

// escapeKey escapes each segment of key for a URL path.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// mac is HMAC-SHA256 of the store's tenant, the key and the expiry, each on
// its own line; neither a tenant nor a key holds a line break.
func (s *Store) mac(key string, expires int64) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("userport-export v2\n" + s.tenant + "\n" + key + "\n" + strconv.FormatInt(expires, 10)))
	return m.Sum(nil)
}

// verify checks the Expires and Signature of rawQuery for key, then the expiry.
func (s *Store) verify(key, rawQuery string) error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil || len(q["Expires"]) != 1 || len(q["Signature"]) != 1 {
		return errMalformed
	}
	expires, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	if err != nil || expires <= 0 || strconv.FormatInt(expires, 10) != q.Get("Expires") {
		return errMalformed
	}
	sig, err := signatureEncoding.DecodeString(q.Get("Signature"))
	if err != nil {
		return errMalformed
	}
	if !hmac.Equal(sig, s.mac(key, expires)) {
		return errSignature
	}
	if !s.clock.Now().Before(time.Unix(expires, 0)) {
		return errExpired
	}
	return nil
}
