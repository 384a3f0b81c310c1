package testutil

import (
	"bytes"
	"io"
	"mime/multipart"
	"testing"
)

// Part is one part of a multipart/form-data body: a field, or a file (named
// users.json) when File is set.
type Part struct {
	Name, Value string
	File        []byte
}

// Multipart encodes parts as a multipart/form-data body and returns it with
// its Content-Type.
func Multipart(t testing.TB, parts ...Part) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var err error
		if p.File != nil {
			var w io.Writer
			if w, err = mw.CreateFormFile(p.Name, "users.json"); err == nil {
				_, err = w.Write(p.File)
			}
		} else {
			err = mw.WriteField(p.Name, p.Value)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}
