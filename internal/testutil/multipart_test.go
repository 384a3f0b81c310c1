package testutil

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"testing"
)

func TestMultipart(t *testing.T) {
	body, ct := Multipart(t, Part{Name: "connection_id", Value: "con_1"}, Part{Name: "users", File: []byte("[]")})
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var got []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		got = append(got, p.FormName()+"|"+p.FileName()+"|"+string(data))
	}
	if len(got) != 2 || got[0] != "connection_id||con_1" || got[1] != "users|users.json|[]" {
		t.Errorf("parts = %q", got)
	}
}
