package progress_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/progress"
)

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "users.csv.gz")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, out string
		force     bool
		wantErr   bool
	}{
		{"new file", filepath.Join(dir, "new.csv.gz"), false, false},
		{"existing file", existing, false, true},
		{"existing file, forced", existing, true, false},
		{"stdout, not a terminal", client.Stdout, false, false},
	} {
		err := progress.CheckOutput(tt.out, tt.force, false, &bytes.Buffer{})
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: CheckOutput(%q) = %v, want error %v", tt.name, tt.out, err, tt.wantErr)
		}
	}
}

func TestImportMissingFile(t *testing.T) {
	c, err := client.New(client.Options{URL: "http://127.0.0.1:1", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	_, err = progress.Import(context.Background(), c, missing, client.ImportRequest{ConnectionID: "con_1"}, 0, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Import of a missing file = %v, want an error naming it", err)
	}
}
