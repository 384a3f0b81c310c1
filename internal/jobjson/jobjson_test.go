package jobjson_test

import (
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/jobjson"
)

func TestFields(t *testing.T) {
	tests := []struct {
		fields []userport.Field
		want   string
	}{
		{nil, "[]"},
		{[]userport.Field{}, "[]"},
		{[]userport.Field{{Name: "email"}}, `[{"name":"email"}]`},
	}
	for _, tt := range tests {
		got, err := jobjson.EncodeFields(tt.fields)
		if err != nil || got != tt.want {
			t.Errorf("EncodeFields(%+v) = %q, %v; want %q", tt.fields, got, err, tt.want)
			continue
		}
		back, err := jobjson.DecodeFields(got)
		if err != nil || len(back) != len(tt.fields) || len(tt.fields) == 0 && back != nil {
			t.Errorf("DecodeFields(%q) = %+v, %v; want %+v (nil when empty)", got, back, err, tt.fields)
		}
	}
	if _, err := jobjson.DecodeFields("{"); err == nil {
		t.Errorf("DecodeFields(%q): no error", "{")
	}
}

func TestSummary(t *testing.T) {
	if got, err := jobjson.EncodeSummary(nil); got != nil || err != nil {
		t.Errorf("EncodeSummary(nil) = %v, %v; want nil (NULL)", got, err)
	}
	in := &userport.ImportSummary{Inserted: 2, Updated: 1, Failed: 3, Total: 6}
	s, err := jobjson.EncodeSummary(in)
	if err != nil || s == nil {
		t.Fatalf("EncodeSummary(%+v) = %v, %v", in, s, err)
	}
	back, err := jobjson.DecodeSummary(*s)
	if err != nil || *back != *in {
		t.Errorf("DecodeSummary(%q) = %+v, %v; want %+v", *s, back, err, in)
	}
}
