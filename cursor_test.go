package userport_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
)

var cursorKey = []byte("0123456789abcdef0123456789abcdef")

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 123e6, time.UTC)
	for _, c := range []userport.Cursor{
		{Tenant: "dev", Low: 42, At: at},
		{Tenant: "a-much-longer-tenant-name-0123456789", Low: 1<<63 + 5, At: at},
		{Tenant: "dev", Low: 0, At: time.UnixMilli(0).UTC()},
	} {
		s := c.Encode(cursorKey)
		got, err := userport.ParseCursor(s, cursorKey)
		if err != nil || got != c {
			t.Errorf("ParseCursor(Encode(%+v)) = %+v, %v", c, got, err)
		}
		if !strings.HasPrefix(s, "upc1_") || strings.ContainsAny(s, "+/=") {
			t.Errorf("Encode(%+v) = %q: want upc1_ and URL-safe base64 without padding", c, s)
		}
	}
}

func TestParseCursorRefuses(t *testing.T) {
	good := userport.Cursor{Tenant: "dev", Low: 42, At: time.UnixMilli(1e12).UTC()}.Encode(cursorKey)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(good, "upc1_"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return "upc1_" + base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name, s string
		key     []byte
		want    error
	}{
		{"empty", "", cursorKey, userport.ErrCursorMalformed},
		{"no prefix", strings.TrimPrefix(good, "upc1_"), cursorKey, userport.ErrCursorMalformed},
		{"other version", "upc2_" + strings.TrimPrefix(good, "upc1_"), cursorKey, userport.ErrCursorMalformed},
		{"not base64", "upc1_!!!!", cursorKey, userport.ErrCursorMalformed},
		{"padded", good + "=", cursorKey, userport.ErrCursorMalformed},
		{"too short", "upc1_" + base64.RawURLEncoding.EncodeToString(raw[:40]), cursorKey, userport.ErrCursorMalformed},
		{"too long", good + strings.Repeat("A", 300), cursorKey, userport.ErrCursorMalformed},
		{"low changed", flip(7), cursorKey, userport.ErrCursorTampered},
		{"time changed", flip(15), cursorKey, userport.ErrCursorTampered},
		{"tenant changed", flip(16), cursorKey, userport.ErrCursorTampered},
		{"mac changed", flip(len(raw) - 1), cursorKey, userport.ErrCursorTampered},
		{"another key", good, []byte("another key of another server!!!"), userport.ErrCursorTampered},
	}
	for _, tt := range tests {
		if _, err := userport.ParseCursor(tt.s, tt.key); !errors.Is(err, tt.want) {
			t.Errorf("%s: ParseCursor(%q) = %v, want %v", tt.name, tt.s, err, tt.want)
		}
	}
}

func TestCursorCheck(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	k := userport.CursorCheck{Tenant: "dev", Now: now, Retention: 720 * time.Hour, Horizon: 10,
		Current: userport.Watermark{Low: 90, High: 100}}
	c := userport.Cursor{Tenant: "dev", Low: 50, At: now.Add(-time.Hour)}
	tests := []struct {
		name string
		edit func(c *userport.Cursor, k *userport.CursorCheck)
		want string // "" for valid; else a part of the message
	}{
		{"valid", func(*userport.Cursor, *userport.CursorCheck) {}, ""},
		{"at the retention", func(c *userport.Cursor, k *userport.CursorCheck) { c.At = now.Add(-720 * time.Hour) }, ""},
		{"no purge yet", func(c *userport.Cursor, k *userport.CursorCheck) { c.Low, k.Horizon = 0, 0 }, ""},
		{"at the store's high", func(c *userport.Cursor, k *userport.CursorCheck) { c.Low = 100 }, ""},
		{"another tenant", func(c *userport.Cursor, k *userport.CursorCheck) { c.Tenant = "other" }, "another tenant's"},
		{"past retention", func(c *userport.Cursor, k *userport.CursorCheck) { c.At = now.Add(-720*time.Hour - time.Millisecond) },
			"older than the tombstone retention (720h0m0s)"},
		{"at the horizon", func(c *userport.Cursor, k *userport.CursorCheck) { c.Low = 10 }, ""},
		{"below the horizon", func(c *userport.Cursor, k *userport.CursorCheck) { c.Low = 9 }, "deletions since it were purged"},
		{"far below the horizon", func(c *userport.Cursor, k *userport.CursorCheck) { c.Low = 0 }, "deletions since it were purged"},
		{"ahead of the store", func(c *userport.Cursor, k *userport.CursorCheck) { c.Low = 101 }, "ahead of the database"},
	}
	for _, tt := range tests {
		c, k := c, k
		tt.edit(&c, &k)
		err := k.Check(c)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: Check = %v, want nil", tt.name, err)
			}
			continue
		}
		msg := userport.ErrorMessage(err)
		if userport.ErrorCode(err) != userport.EINVALID || userport.ErrorDetail(err) != "invalid_body" ||
			!strings.Contains(msg, tt.want) || !strings.Contains(msg, "Take a full export") {
			t.Errorf("%s: Check = %v, want invalid_body saying %q and to take a full export", tt.name, err, tt.want)
		}
	}
}

// FuzzParseCursor checks that ParseCursor never panics, that whatever it
// accepts was signed with the key (it encodes back to the same string), and
// that a cursor it writes always parses back.
func FuzzParseCursor(f *testing.F) {
	f.Add(userport.Cursor{Tenant: "dev", Low: 42, At: time.UnixMilli(1e12).UTC()}.Encode(cursorKey), "dev", uint64(42), int64(1e12))
	f.Add("upc1_", "", uint64(0), int64(0))
	f.Add("upc1_AAAA", "t", uint64(1<<63), int64(-1))
	f.Fuzz(func(t *testing.T, s, tenant string, low uint64, ms int64) {
		if c, err := userport.ParseCursor(s, cursorKey); err == nil && c.Encode(cursorKey) != s {
			t.Errorf("ParseCursor(%q) accepted %+v, which encodes to %q", s, c, c.Encode(cursorKey))
		}
		c := userport.Cursor{Tenant: tenant, Low: low, At: time.UnixMilli(ms).UTC()}
		if len(tenant) > 63 {
			return // tenant names are short; longer ones exceed the cursor's bound
		}
		if got, err := userport.ParseCursor(c.Encode(cursorKey), cursorKey); err != nil || got != c {
			t.Errorf("ParseCursor(Encode(%+v)) = %+v, %v", c, got, err)
		}
	})
}
