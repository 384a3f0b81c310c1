package httpapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/userport/userport/httpapi"
)

// stallGrace is the transfer grace of TestStalledBodyAnswered: long enough
// for a busy machine to answer within it, short enough for a quick test.
const stallGrace = time.Second

// TestStalledBodyAnswered checks that a request whose body stalls is
// answered when the transfer grace runs out, not a second grace later and
// not never: a handler that was reading the body answers 408 in its route's
// error shape, with Connection: close; one that answered without reading it
// is heard too.
func TestStalledBodyAnswered(t *testing.T) {
	s := newFuzzServer(t)
	addr := serve(t, s.handler, httpapi.HTTPOptions{TransferGrace: stallGrace})
	const boundary = "b0undary"
	tests := []struct {
		name, path, headers, partial string
		status                       int
		body                         string // a key the answer's JSON holds, with its value
	}{
		{"token form", "/oauth/token", "Content-Type: application/x-www-form-urlencoded\r\n",
			"grant_type=client_cre", http.StatusRequestTimeout, `"error":"invalid_request"`},
		{"token JSON", "/oauth/token", "Content-Type: application/json\r\n",
			`{"grant_type":`, http.StatusRequestTimeout, `"error":"invalid_request"`},
		{"create user", "/api/v2/users", "Content-Type: application/json\r\nAuthorization: Bearer " + s.token + "\r\n",
			`{"email":"a@`, http.StatusRequestTimeout, `"statusCode":408`},
		{"import upload", "/api/v2/jobs/users-imports", "Content-Type: multipart/form-data; boundary=" + boundary +
			"\r\nAuthorization: Bearer " + s.token + "\r\n",
			"--" + boundary + "\r\nContent-Disposition: form-data; name=\"users\"; filename=\"u.json\"\r\n\r\n[{\"email\":",
			http.StatusRequestTimeout, `"statusCode":408`},
		{"refused unread", "/api/v2/users", "Content-Type: application/json\r\n",
			`{"email":"a@`, http.StatusUnauthorized, `"statusCode":401`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			began := time.Now()
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: 100000\r\n\r\n%s", tt.path, tt.headers, tt.partial)
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			took := time.Since(began)
			if err != nil {
				t.Fatalf("no answer after %v: %v", took, err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status || !json.Valid(body) || !containsCompact(body, tt.body) {
				t.Errorf("answer %d %s, want %d with %s", res.StatusCode, body, tt.status, tt.body)
			}
			if !res.Close {
				t.Error("the answer keeps the connection open; want Connection: close (the body is not coming)")
			}
			if took < stallGrace*9/10 || took > stallGrace*19/10 {
				t.Errorf("answered after %v, want about the transfer grace (%v)", took, stallGrace)
			}
		})
	}
}

// containsCompact reports whether the JSON body, compacted, contains want.
func containsCompact(body []byte, want string) bool {
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	for k, x := range v {
		b, _ := json.Marshal(map[string]any{k: x})
		if string(b[1:len(b)-1]) == want {
			return true
		}
	}
	return false
}
