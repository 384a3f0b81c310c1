package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// badPictures are pictures that are not http(s) URLs.
var badPictures = []string{"javascript:alert(1)", "data:image/png;base64,AAAA", "//example.com/a.png", "a.png"}

func TestPictureMustBeAnHTTPURL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	msg := func(p string) string {
		return "Payload validation error: 'Object didn't pass validation for format url: " + p + "' on property picture."
	}
	id := b.createUser(map[string]any{"connection": upa, "email": "pic@example.com", "password": "Passw0rd!x",
		"picture": "https://example.com/pic.png"})["user_id"].(string)
	before := b.storedUser(id)
	for _, p := range badPictures {
		t.Run(p, func(t *testing.T) {
			b.admin(http.MethodPost, "/users", map[string]any{"connection": upa, "email": "new@example.com",
				"password": "Passw0rd!x", "picture": p}).wantError(t, 400, "invalid_body", msg(p))
			b.admin(http.MethodPatch, "/users/"+id, map[string]any{"picture": p}).wantError(t, 400, "invalid_body", msg(p))
		})
	}
	long := "javascript:" + strings.Repeat("x", 2000)
	b.admin(http.MethodPatch, "/users/"+id, map[string]any{"picture": long}).wantError(t, 400, "invalid_body", msg(long[:32]+"…"))
	if n := b.userCount(); n != 1 {
		t.Errorf("%d users after refused creates, want 1", n)
	}
	if after := b.storedUser(id); string(after.Doc) != string(before.Doc) {
		t.Errorf("user changed by a refused PATCH:\n%s\nwas\n%s", after.Doc, before.Doc)
	}
	b.admin(http.MethodPatch, "/users/"+id, map[string]any{"picture": "http://example.com/new.png"}).wantStatus(t, 200)
}

func TestImportPictureMustBeAnHTTPURL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(nil)
	conn := b.connection(upa).ID
	records := []string{`{"email":"ok@example.com","picture":"https://example.com/a.png"}`}
	for i, p := range badPictures {
		records = append(records, `{"email":"bad`+string(rune('a'+i))+`@example.com","picture":"`+p+`"}`)
	}
	j := b.imRun(imNDJSON(records...), conn)
	if j.Summary.Inserted != 1 || j.Summary.Failed != int64(len(badPictures)) {
		t.Fatalf("summary = %+v, want 1 inserted, %d failed", j.Summary, len(badPictures))
	}
	for i, e := range b.imErrors(j.ID) {
		want := userport.ImportIssue{Code: userport.ImportInvalidFormat, Path: "picture",
			Message: "Error in picture property - Object didn't pass validation for format url: " + badPictures[i]}
		if len(e.Errors) != 1 || e.Errors[0] != want {
			t.Errorf("errors of record %d = %+v, want %+v", i+1, e.Errors, want)
		}
	}
}
