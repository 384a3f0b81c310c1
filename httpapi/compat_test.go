package httpapi_test

import (
	"testing"
)

// The tests of this file check the calls around the export that Auth0's SDKs
// and scripts make, against the shapes of real Auth0 answers (see
// testdata/auth0/).

// TestImportEmptyExternalID: go-auth0's Job.ImportUsers always sends
// external_id, empty when unset; Auth0 takes that as none.
func TestImportEmptyExternalID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	conn := b.connection("Username-Password-Authentication")
	j := b.imRun([]byte(`[{"email":"ext@example.com","email_verified":true}]`), conn.ID, imField("upsert", "true"),
		imField("external_id", ""), imField("send_completion_email", "false"))
	if j.ExternalID != "" {
		t.Errorf("external_id = %q, want none", j.ExternalID)
	}
	if j.Summary == nil || j.Summary.Inserted != 1 {
		t.Errorf("summary = %+v, want 1 inserted", j.Summary)
	}
}
