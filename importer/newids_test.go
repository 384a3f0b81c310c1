package importer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// TestBuildNewIDs: with NewIDs a record's user_id is dropped, valid or not,
// and its own identity takes the new id; linked identities keep theirs
// (issue 25, case 11).
func TestBuildNewIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, record string
		newIDs       bool
		wantID       string // "": a new one
	}{
		{"kept without NewIDs", `{"email":"a@b.co","user_id":"auth0|abc"}`, false, "auth0|abc"},
		{"dropped", `{"email":"a@b.co","user_id":"auth0|abc","identities":[{"connection":"Source","provider":"auth0","user_id":"abc"},` +
			`{"connection":"google-oauth2","provider":"google-oauth2","user_id":"108","isSocial":true}]}`, true, ""},
		{"dropped without its prefix", `{"email":"a@b.co","user_id":"abc"}`, true, ""},
		{"dropped when invalid", `{"email":"a@b.co","user_id":"google-oauth2|123"}`, true, ""},
		{"dropped when not a string", `{"email":"a@b.co","user_id":42}`, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := builder()
			b.NewIDs = tt.newIDs
			iu, ie := b.Build(0, json.RawMessage(tt.record))
			if ie != nil {
				t.Fatalf("Build = errors %+v", ie.Errors)
			}
			var p userport.Profile
			if err := json.Unmarshal(iu.User.Doc, &p); err != nil {
				t.Fatal(err)
			}
			if tt.wantID != "" && iu.User.UserID != tt.wantID || tt.wantID == "" && (iu.User.UserID == "auth0|abc" || !strings.HasPrefix(iu.User.UserID, "auth0|")) {
				t.Fatalf("user_id = %s, want %s", iu.User.UserID, map[bool]string{true: tt.wantID, false: "a new one"}[tt.wantID != ""])
			}
			if own := p.Identities[0]; "auth0|"+own.UserID != iu.User.UserID || own.Connection != target.Name {
				t.Errorf("own identity = %+v, want the new id in %s", own, target.Name)
			}
			if len(p.Identities) > 1 && p.Identities[1].UserID != "108" {
				t.Errorf("linked identity = %+v, want its user_id kept", p.Identities[1])
			}
		})
	}
}
