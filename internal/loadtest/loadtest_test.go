package loadtest

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
)

// TestCheckLoopback checks that only loopback targets pass.
func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.9.8.7:1/", true},
		{"https://localhost:8443", true},
		{"http://LOCALHOST", true},
		{"http://[::1]:8080", true},
		{"http://10.0.0.1:8080", false},
		{"http://192.0.2.1", false},
		{"http://[::2]:8080", false},
		{"http://example.com", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
		{"http://[::ffff:10.0.0.1]:80", false},
	}
	for _, tt := range tests {
		if err := CheckLoopback(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

// TestRecorder checks how answers are counted: 2xx ok, each kind of 429
// apart, other statuses, bad bodies and transport errors as errors, cut
// requests apart from them all.
func TestRecorder(t *testing.T) {
	r := newRecorder()
	ms := time.Millisecond
	r.record("a", Answered, 201, 10*ms, nil, nil)
	r.record("a", Answered, 201, 20*ms, nil, nil)
	r.record("a", Answered, 429, 1*ms, []byte(`{"message":"Global limit has been reached"}`), nil)
	r.record("a", Answered, 429, 2*ms, []byte(`{"message":"There are 20 pending export users jobs"}`), nil)
	r.record("a", Answered, 500, 5000*ms, []byte(`{"statusCode":500}`), nil)
	r.record("a", Transport, 0, 0, nil, errors.New("connection reset"))
	r.record("a", Cut, 0, 0, nil, errors.New("context canceled"))
	r.record("b", Answered, 200, 3*ms, nil, nil)
	r.record("b", BadBody, 200, 4*ms, nil, errNotGzip)

	got := r.report()
	if len(got) != 2 || got[0].Route != "a" || got[1].Route != "b" {
		t.Fatalf("routes %+v, want a then b", got)
	}
	a, b := got[0], got[1]
	want := RouteReport{Route: "a", Requests: 6, OK: 2, RateLimited: 1, Bounded: 1, Errors: 1, Transport: 1, Cut: 1,
		Statuses: map[string]int64{"201": 2, "429": 2, "500": 1}, P50Ms: 10, P99Ms: 5000, MaxMs: 5000, FirstError: `500 {"statusCode":500}`}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("route a = %+v\nwant      %+v", a, want)
	}
	if b.Requests != 2 || b.OK != 1 || b.Errors != 1 || b.BadBody != 1 || !strings.Contains(b.FirstError, "gzip") {
		t.Errorf("route b = %+v, want 2 requests: 1 ok, 1 bad body", b)
	}
}

// TestWriteImportFile reads the import file back as the importer does:
// gzip'd NDJSON, n users of the connection, no user twice.
func TestWriteImportFile(t *testing.T) {
	conn := &userport.Connection{ID: "con_abc", Name: "Username-Password-Authentication"}
	var buf bytes.Buffer
	if err := WriteImportFile(&buf, 2500, 7, conn); err != nil {
		t.Fatal(err)
	}
	r, err := importer.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != importer.FormatNDJSON || !r.Gzipped() {
		t.Errorf("format %s, gzipped %v: want gzip'd NDJSON", r.Format(), r.Gzipped())
	}
	ids := map[string]bool{}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("record %d: %v", len(ids), err)
		}
		id := gjson.GetBytes(rec, "user_id").Str
		if ids[id] || id == "" {
			t.Fatalf("user_id %q empty or seen twice", id)
		}
		ids[id] = true
		if c := gjson.GetBytes(rec, "identities.0.connection").Str; c != conn.Name {
			t.Fatalf("user %s of connection %q, want %q", id, c, conn.Name)
		}
	}
	if len(ids) != 2500 {
		t.Errorf("%d users, want 2500", len(ids))
	}
}

// TestValidate checks the defaults and the refusals of Config.
func TestValidate(t *testing.T) {
	c := Config{Scenario: Writes}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Clients != DefaultWritesClients || c.Duration != DefaultDuration || c.MaxRequests != DefaultMaxRequests ||
		c.ImportUsers != DefaultImportUsers || c.RequestTimeout != DefaultRequestTimeout {
		t.Errorf("defaults of writes = %+v", c)
	}
	c = Config{}
	if err := c.Validate(); err != nil || c.Scenario != Mixed || c.Clients != DefaultMixedClients {
		t.Errorf("defaults = %+v, %v: want mixed with %d clients", c, err, DefaultMixedClients)
	}
	for _, bad := range []Config{{Scenario: "reads"}, {Duration: -time.Second}, {Clients: -1}, {MaxRequests: -1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
}
