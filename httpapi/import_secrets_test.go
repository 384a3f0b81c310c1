package httpapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportErrorsMaskNestedSecrets imports records carrying a TOTP secret
// and a linked identity's tokens, and checks that neither the errors
// endpoint, nor the errors the store keeps, nor any byte of the database files,
// nor the logs hold them.
func TestImportErrorsMaskNestedSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
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
	where["the stored errors"] = imErrorDocs(t, b, j.ID)
	for _, name := range []string{"userport.db", "userport.db-wal"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(b.DBPath), name))
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

// imErrorDocs returns the doc of every per-user error the store keeps for
// the job.
func imErrorDocs(t *testing.T, b *env, jobID string) string {
	t.Helper()
	errs, err := b.Store.ListImportErrors(b.ctx(), b.tenant, jobID, -1, 1000)
	must(t, err)
	if len(errs) != 2 {
		t.Fatalf("the store keeps %d errors, want 2", len(errs))
	}
	docs := make([]string, len(errs))
	for i, e := range errs {
		docs[i] = string(e.User)
	}
	return strings.Join(docs, "\n")
}
