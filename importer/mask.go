package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/buger/jsonparser"
	"github.com/tidwall/gjson"
)

// masked replaces a secret's value in error reports.
const masked = `"*****"`

// maxMaskDepth is the deepest object or array Mask looks into; anything
// deeper is masked whole rather than walked.
const maxMaskDepth = 32

// secretWords are what a key names a secret by: a key whose letters and
// digits, lower-cased, contain one of them holds a secret. They cover Auth0's
// import schema (password_hash, custom_password_hash and its nested hash, salt
// and key, mfa_factors[].totp.secret), the identities of an export
// (access_token, refresh_token, access_token_secret, id_token) and the usual
// names of credentials anywhere else (apiKey, private_key, client_secret, pwd).
var secretWords = [][]byte{[]byte("password"), []byte("passwd"), []byte("pwd"), []byte("secret"), []byte("token"),
	[]byte("hash"), []byte("salt"), []byte("totp"), []byte("apikey"), []byte("privatekey"), []byte("credential")}

// secretWholeWords name a secret only as a whole word of a key (see
// keyWords): "pin", "userPIN" and "pin_code" hold one, "shipping" does not.
var secretWholeWords = [][]byte{[]byte("pin"), []byte("pincode")}

// otpauthScheme starts a TOTP/HOTP provisioning URI, whose secret parameter
// is the seed itself: a string value holding one is masked whatever its key.
var otpauthScheme = []byte("otpauth://")

// Mask returns a record as error reports show it (and as they are stored):
// as given, except that the value of every key that names a secret, at any
// depth, is "*****" (an object or array under such a key is masked whole). A
// record without secrets is returned as it is; bytes that are not UTF-8
// become U+FFFD. A record that is not valid JSON cannot be told apart
// safely and is null.
func Mask(raw []byte) json.RawMessage {
	if !validJSON(raw) {
		return json.RawMessage("null")
	}
	if !utf8.Valid(raw) {
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	v, t, _, err := jsonparser.Get(raw)
	if err != nil {
		return json.RawMessage("null")
	}
	if !hasSecret(v, t, 0) {
		return raw
	}
	return appendMasked(make([]byte, 0, len(raw)), v, t, 0)
}

// validJSON reports whether raw is valid JSON: with gjson's validator
// (fast), unless raw is too deep for it (tooDeepToValidate), then with
// encoding/json's, which does not recurse (and refuses texts nested more
// than 10,000 deep).
func validJSON(raw []byte) bool {
	if tooDeepToValidate(raw) {
		return json.Valid(raw)
	}
	return gjson.ValidBytes(raw)
}

// errFound stops a walk at the first secret.
var errFound = errors.New("secret found")

// hasSecret reports whether v has a key naming a secret at any depth, or is
// too deep to tell.
func hasSecret(v []byte, t jsonparser.ValueType, depth int) bool {
	if t == jsonparser.String {
		return secretValue(v)
	}
	if t != jsonparser.Object && t != jsonparser.Array {
		return false
	}
	if depth >= maxMaskDepth {
		return true
	}
	if t == jsonparser.Array {
		found := false
		_, _ = jsonparser.ArrayEach(v, func(item []byte, it jsonparser.ValueType, _ int, _ error) {
			found = found || hasSecret(item, it, depth+1)
		})
		return found
	}
	err := jsonparser.ObjectEach(v, func(key, val []byte, vt jsonparser.ValueType, _ int) error {
		if secretKey(key) || secretValue(key) || hasSecret(val, vt, depth+1) {
			return errFound
		}
		return nil
	})
	return err != nil // errFound, or a malformed object: mask what can be
}

// appendMasked appends v, of type t, with the values of secret keys masked.
func appendMasked(out, v []byte, t jsonparser.ValueType, depth int) []byte {
	switch {
	case (t == jsonparser.Object || t == jsonparser.Array) && depth >= maxMaskDepth:
		return append(out, masked...)
	case t == jsonparser.Object:
		return appendMaskedObject(out, v, depth)
	case t == jsonparser.Array:
		out = append(out, '[')
		n := 0
		_, _ = jsonparser.ArrayEach(v, func(item []byte, it jsonparser.ValueType, _ int, _ error) {
			if n++; n > 1 {
				out = append(out, ',')
			}
			out = appendMasked(out, item, it, depth+1)
		})
		return append(out, ']')
	case t == jsonparser.String && secretValue(v):
		return append(out, masked...)
	case t == jsonparser.String: // v is the raw (escaped) content
		return append(append(append(out, '"'), v...), '"')
	}
	return append(out, v...)
}

// appendMaskedObject appends the object v with the values of secret keys
// masked. Keys are written as JSON-quoted strings of their unescaped text,
// except a key holding an otpauth:// URI, which is masked with its value.
func appendMaskedObject(out, v []byte, depth int) []byte {
	out = append(out, '{')
	n := 0
	_ = jsonparser.ObjectEach(v, func(key, val []byte, vt jsonparser.ValueType, _ int) error {
		if n++; n > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(string(key)) // a string always encodes
		if secretValue(key) {
			k = []byte(masked) // an otpauth:// URI as a key: key and value masked
		}
		out = append(append(out, k...), ':')
		if secretKey(key) || secretValue(key) {
			out = append(out, masked...)
		} else {
			out = appendMasked(out, val, vt, depth+1)
		}
		return nil
	})
	return append(out, '}')
}

// secretValue reports whether a string value, its raw (escaped) content,
// holds an otpauth:// URI anywhere, in any case and however escaped.
func secretValue(raw []byte) bool {
	s := raw
	if bytes.IndexByte(raw, '\\') >= 0 {
		if u, err := jsonparser.Unescape(raw, nil); err == nil {
			s = u
		}
	}
	return bytes.Contains(bytes.ToLower(s), otpauthScheme)
}

// secretKey reports whether an object key names a secret: whether its
// letters and digits, lower-cased, contain one of secretWords (so that
// access_token, refreshToken and API-Key all do), or one of its words is one
// of secretWholeWords.
func secretKey(key []byte) bool {
	if keyWords(key, isWholeSecretWord) {
		return true
	}
	var buf [64]byte
	norm := buf[:0]
	for _, c := range key {
		switch {
		case 'A' <= c && c <= 'Z':
			norm = append(norm, c+'a'-'A')
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c >= 0x80:
			norm = append(norm, c)
		}
	}
	for _, w := range secretWords {
		if bytes.Contains(norm, w) {
			return true
		}
	}
	return false
}

// keyWords calls found with each word of key, lower-cased, until it returns
// true, and reports whether it did. Words are runs of letters (bytes of
// UTF-8 sequences count as lower-case letters) or of digits; a lower-case
// letter followed by an upper-case one starts a new word ("userPIN": user,
// pin), an upper-case one followed by a lower-case one does not ("Pin").
func keyWords(key []byte, found func(word []byte) bool) bool {
	var buf [64]byte
	word := buf[:0]
	var last byte // the kind of the byte before
	for _, c := range key {
		k := charKind(c)
		if k != last && (last != 'A' || k != 'a') && len(word) > 0 {
			if found(word) {
				return true
			}
			word = word[:0]
		}
		if k == 'A' {
			c += 'a' - 'A'
		}
		if k != 0 {
			word = append(word, c)
		}
		last = k
	}
	return len(word) > 0 && found(word)
}

// isWholeSecretWord reports whether word is one of secretWholeWords.
func isWholeSecretWord(word []byte) bool {
	return slices.ContainsFunc(secretWholeWords, func(w []byte) bool { return bytes.Equal(w, word) })
}

// charKind classes a byte of a key: 'a' lower-case (and non-ASCII), 'A'
// upper-case, '0' digit, 0 a separator.
func charKind(c byte) byte {
	switch {
	case 'a' <= c && c <= 'z', c >= 0x80:
		return 'a'
	case 'A' <= c && c <= 'Z':
		return 'A'
	case '0' <= c && c <= '9':
		return '0'
	}
	return 0
}
