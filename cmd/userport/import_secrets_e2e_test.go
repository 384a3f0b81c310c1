package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userport/userport/sqlite"
)

// TestImportErrorsMaskNestedSecrets imports records carrying a TOTP secret
// and a linked identity's tokens, and checks that neither the errors
// endpoint, nor the import_errors rows, nor any byte of the database files,
// nor the logs hold them.
func TestImportErrorsMaskNestedSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.connection(upa).ID
	const totp, access, refresh = "JBSWY3DPEHPK3PNPTOTPSECRET", "gho_ACCESSTOKEN1234", "ghr_REFRESHTOKEN1234"
	secrets := []string{totp, access, refresh}
	file := imNDJSON(
		`{"email":"bad","mfa_factors":[{"phone":{"value":"+15550100"}},{"totp":{"secret":"`+totp+`"}}]}`,
		`{"email":"linked@example.com","identities":[{},{"connection":"github","provider":"github","user_id":"1",`+
			`"access_token":"`+access+`","refresh_token":"`+refresh+`"}]}`,
		`{"email":"kept@example.com","mfa_factors":[{"totp":{"secret":"`+totp+`"}}]}`,
	)
	j := b.imRun(file, conn)
	errs := b.imErrors(j.ID)
	if len(errs) != 2 {
		t.Fatalf("errors = %+v, want the first two records", errs)
	}
	if !strings.Contains(string(errs[0].User), `"phone":{"value":"+15550100"}`) || !strings.Contains(string(errs[1].User), `"access_token":"*****"`) {
		t.Errorf("error users = %s, %s; want them as given, secrets masked", errs[0].User, errs[1].User)
	}
	body := b.admin("GET", "/jobs/"+j.ID+"/errors", nil).body
	where := map[string]string{"GET /jobs/{id}/errors": string(body), "the logs": b.logs.String()}
	where["import_errors.doc"] = imErrorDocs(t, b)
	for _, name := range []string{"userport.db", "userport.db-wal"} {
		data, err := os.ReadFile(filepath.Join(b.m.Config.DataDir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		where[name] = string(data)
	}
	for what, text := range where {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q", what, s)
			}
		}
	}
}

// imErrorDocs returns every import_errors row's doc, read from the database
// file itself.
func imErrorDocs(t *testing.T, b *bundle) string {
	t.Helper()
	db, err := sql.Open(sqlite.DriverName, "file:"+filepath.Join(b.m.Config.DataDir, "userport.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT doc FROM import_errors`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var docs []string
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("import_errors holds %d rows, want 2", len(docs))
	}
	return strings.Join(docs, "\n")
}
