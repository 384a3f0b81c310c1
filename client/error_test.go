package client

import (
	"strings"
	"testing"
)

func TestDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"management API", 404, `{"statusCode":404,"error":"Not Found","message":"The job does not exist.","errorCode":"inexistent_job"}`,
			"server answered 404 Not Found (inexistent_job): The job does not exist."},
		{"no errorCode", 401, `{"statusCode":401,"error":"Unauthorized","message":"Invalid token"}`,
			"server answered 401 Unauthorized: Invalid token"},
		{"OAuth", 401, `{"error":"invalid_client","error_description":"Client authentication failed"}`,
			"server answered 401 Unauthorized (invalid_client): Client authentication failed"},
		{"OAuth without description", 400, `{"error":"unsupported_grant_type"}`,
			"server answered 400 Bad Request (unsupported_grant_type)"},
		{"multi-line message", 400, `{"statusCode":400,"message":"first\nsecond\r\n  third","errorCode":"invalid_body"}`,
			"server answered 400 Bad Request (invalid_body): first second third"},
		{"plain text", 502, "\n  Bad gateway  \nupstream down\n", "server answered 502 Bad Gateway: Bad gateway"},
		{"HTML", 403, "<html><body>Forbidden</body></html>", "server answered 403 Forbidden: <html><body>Forbidden</body></html>"},
		{"empty", 500, "", "server answered 500 Internal Server Error"},
		{"long line", 500, strings.Repeat("x", 300), "server answered 500 Internal Server Error: " + strings.Repeat("x", 200) + "..."},
		{"JSON of another shape", 418, `{"detail":"teapot"}`, `server answered 418 I'm a teapot: {"detail":"teapot"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeError(tt.status, []byte(tt.body)).Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// FuzzDecodeError checks that any error body gives one line, and never panics.
func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"statusCode":400,"message":"a\nb","errorCode":"x"}`))
	f.Add(401, []byte(`{"error":"invalid_client","error_description":"no"}`))
	f.Add(500, []byte("\x00\n\r\n"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if s := decodeError(status, body).Error(); strings.ContainsAny(s, "\n\r") {
			t.Errorf("error spans lines: %q", s)
		}
	})
}
