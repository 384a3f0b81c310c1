package client

import (
	"testing"
)

func TestRowCounter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		csv    bool
		chunks []string
		want   int64
	}{
		{"NDJSON", false, []string{`{"a":1}` + "\n" + `{"a":"x\ny"}` + "\n"}, 2},
		{"NDJSON empty", false, nil, 0},
		{"CSV header only", true, []string{"user_id,email\n"}, 0},
		{"CSV empty", true, nil, 0},
		{"CSV rows", true, []string{"a,b\n", `"'x",1` + "\n", `"'y",2` + "\n"}, 2},
		{"CSV line end in a quoted cell", true, []string{"a,b\n" + `"'line one` + "\nline two\",1\n"}, 1},
		{"CSV doubled quotes", true, []string{"a\n" + `"'say ""hi""` + "\n\",\n" + `"'b"` + "\n"}, 2},
		{"CSV split across writes", true, []string{"a\n\"'x", "\n", "y\"\n", "\"'z\"\n"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &rowCounter{csv: tt.csv}
			for _, chunk := range tt.chunks {
				if n, err := c.Write([]byte(chunk)); n != len(chunk) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := c.rows(); got != tt.want {
				t.Errorf("rows = %d, want %d", got, tt.want)
			}
		})
	}
}
