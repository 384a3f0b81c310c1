package seed

// White-box tests of the hand-written encoding that the generator's speed
// rests on: each piece against the standard library.

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/userport/userport"
)

// stdString is how userport.UserFromProfile's encoder writes s.
func stdString(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendString(t *testing.T) {
	tests := []string{
		"", "plain", "ab\"cd", `back\slash`, "new\nline", "tab\there", "\r\b\f\x00\x1f\x7f",
		"<html> & co", "Ünïcödé ß 王伟 محمد", "line\u2028sep\u2029para", "\u2027\u202a€", "😀 emoji",
		"exactly8", "exactly8\"", "0123456789abcdef\n0123456789abcdef", "é\"é\"é\"é\"",
	}
	tests = append(tests, tricky[:]...)
	for _, s := range tests {
		if got, want := string(appendString(nil, s)), stdString(t, s); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the generator only writes valid UTF-8")
		}
		if got, want := string(appendString(nil, s)), stdString(t, s); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

// TestPlainTexts checks that every text appendPlain writes needs no escaping.
func TestPlainTexts(t *testing.T) {
	var texts []string
	for _, c := range cultures {
		texts = append(texts, c.languages...)
		texts = append(texts, c.streets...)
		texts = append(texts, c.domains...)
		for _, pl := range c.cities {
			texts = append(texts, pl.city, pl.postal, pl.country)
		}
		for _, n := range append(c.given[:len(c.given):len(c.given)], c.family...) {
			texts = append(texts, n.slug)
			if n.slug == "" || n.slug != slugOf(n.slug) {
				t.Errorf("name %q: slug %q is not lower-case ASCII letters", n.text, n.slug)
			}
		}
	}
	for _, list := range [][]string{termsTexts[:], hobbies[:], timezones[:], channels[:], plans[:], roleNames[:], currencies[:]} {
		texts = append(texts, list...)
	}
	for _, s := range texts {
		if got, want := `"`+s+`"`, stdString(t, s); got != want {
			t.Errorf("%q is written as %s by encoding/json, not as plain text", s, want)
		}
	}
}

func TestAppendTime(t *testing.T) {
	tests := []time.Time{
		time.Unix(0, 0), time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 1e6, time.UTC), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 12, 31, 23, 59, 59, 999e6, time.UTC), time.Date(2100, 3, 1, 7, 8, 9, 10e6, time.UTC),
		time.Date(1600, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	for ms := int64(-3e12); ms < 4e12; ms += 999_999_937 { // about every 11.6 days
		tests = append(tests, time.UnixMilli(ms))
	}
	for _, tm := range tests {
		if got, want := string(appendTime(nil, tm.UnixMilli())), userport.FormatTime(tm); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
