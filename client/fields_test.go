package client_test

import (
	"flag"
	"io"
	"reflect"
	"testing"

	"github.com/userport/userport/client"
)

func TestFields(t *testing.T) {
	var fields client.Fields
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&fields, "field", "")
	if err := fs.Parse([]string{"--field", "email", "--field", "user_metadata.plan=plan", "--field", "a=b=c"}); err != nil {
		t.Fatal(err)
	}
	want := client.Fields{{Name: "email"}, {Name: "user_metadata.plan", ExportAs: "plan"}, {Name: "a", ExportAs: "b=c"}}
	if !reflect.DeepEqual(fields, want) || fields.String() != "email,user_metadata.plan=plan,a=b=c" {
		t.Errorf("fields %+v (%s), want %+v", fields, fields.String(), want)
	}
	for _, bad := range []string{"", "=plan"} {
		if err := fs.Parse([]string{"--field", bad}); err == nil {
			t.Errorf("--field %q accepted", bad)
		}
	}
}

func TestExportFileName(t *testing.T) {
	for _, tt := range []struct {
		location string
		gunzip   bool
		want     string
	}{
		{"https://up.example.com/download/job_1/dev.csv.gz?sig=x", false, "dev.csv.gz"},
		{"https://up.example.com/download/job_1/dev.csv.gz?sig=x", true, "dev.csv"},
		{"https://s3.example.com/bucket/exports/dev.json.gz", false, "dev.json.gz"},
		{"", false, "export.gz"},
		{"https://up.example.com/", true, "export"},
		{"::not a url", false, "export.gz"},
	} {
		if got := client.ExportFileName(tt.location, tt.gunzip); got != tt.want {
			t.Errorf("ExportFileName(%q, %v) = %q, want %q", tt.location, tt.gunzip, got, tt.want)
		}
	}
}

// TestFieldsUnknown: the fields whose root is not a profile attribute (a
// misspelling), in the order given.
func TestFieldsUnknown(t *testing.T) {
	fields := client.Fields{{Name: "email"}, {Name: "emial"}, {Name: "app_metadata.plan", ExportAs: "plan"},
		{Name: "identities[0].connection"}, {Name: "usr_metadata.plan"}, {Name: "a..b"}}
	want := []string{"emial", "usr_metadata.plan"}
	if got := fields.Unknown(); !reflect.DeepEqual(got, want) {
		t.Errorf("Unknown() = %q, want %q", got, want)
	}
}
