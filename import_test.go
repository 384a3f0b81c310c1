package userport_test

import (
	"slices"
	"testing"

	"github.com/userport/userport"
)

func TestCollisionIssue(t *testing.T) {
	tests := []struct {
		key             string
		thisJob, upsert bool
		want            userport.ImportIssue
	}{
		{"user_id", true, true, userport.ImportDuplicate("user_id")},
		{"email", true, false, userport.ImportDuplicate("email")},
		{"email", false, true, userport.ImportCollision("email")},
		{"username", false, true, userport.ImportCollision("username")},
		{"user_id", false, false, userport.ImportExists("user_id")},
	}
	for _, tt := range tests {
		if got := userport.CollisionIssue(tt.key, tt.thisJob, tt.upsert); got != tt.want {
			t.Errorf("CollisionIssue(%q, %v, %v) = %+v, want %+v", tt.key, tt.thisJob, tt.upsert, got, tt.want)
		}
	}
}

func TestImportErrorRoom(t *testing.T) {
	tests := []struct{ kept, want int }{
		{0, userport.MaxImportErrors},
		{userport.MaxImportErrors - 1, 1},
		{userport.MaxImportErrors, 0},
		{userport.MaxImportErrors + 5, 0},
	}
	for _, tt := range tests {
		if got := userport.ImportErrorRoom(tt.kept); got != tt.want {
			t.Errorf("ImportErrorRoom(%d) = %d, want %d", tt.kept, got, tt.want)
		}
	}
}

func TestSortImportErrors(t *testing.T) {
	errs := []userport.ImportError{{Record: 7}, {Record: 2}, {Record: 5}, {Record: 0}}
	userport.SortImportErrors(errs)
	var got []int64
	for _, e := range errs {
		got = append(got, e.Record)
	}
	if want := []int64{0, 2, 5, 7}; !slices.Equal(got, want) {
		t.Errorf("SortImportErrors: records %v, want %v", got, want)
	}
}
