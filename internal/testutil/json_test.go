package testutil

import "testing"

func TestCanonJSON(t *testing.T) {
	if got, want := CanonJSON(t, []byte(` {"b": 1.50, "a": [true, null]} `)), `{"a":[true,null],"b":1.50}`; got != want {
		t.Errorf("CanonJSON = %s, want %s", got, want)
	}
}

func TestErrorBody(t *testing.T) {
	tests := []struct {
		status    int
		code, msg string
		want      string
	}{
		{400, "", "Bad", `{"error":"Bad Request","message":"Bad","statusCode":400}`},
		{403, "insufficient_scope", "No", `{"error":"Forbidden","errorCode":"insufficient_scope","message":"No","statusCode":403}`},
		{401, "", "Missing authentication", `{"error":"Unauthorized","message":"Missing authentication","statusCode":401}`},
		{401, "", "Expired token", `{"attributes":{"error":"Expired token"},"error":"Unauthorized","message":"Expired token","statusCode":401}`},
	}
	for _, tt := range tests {
		if got := CanonJSON(t, []byte(ErrorBody(tt.status, tt.code, tt.msg))); got != tt.want {
			t.Errorf("ErrorBody(%d, %q, %q) = %s, want %s", tt.status, tt.code, tt.msg, got, tt.want)
		}
	}
}
