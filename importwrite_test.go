package userport_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/userport/userport"
)

// raceTx is an ImportTx whose store refuses writes the batch's model
// thought free, as when a concurrent transaction takes a key between the
// lookups and the writes: holders are the users its probes find then.
type raceTx struct {
	holders map[string]userport.ImportRow // key "=" value -> the user holding it after the race
	raced   bool                          // a write was refused: the holders hold their keys
	state   userport.ImportState
	errs    []userport.ImportError
}

func (x *raceTx) AdvanceImportCursor(context.Context, *userport.ImportBatch) (bool, error) {
	return true, nil
}
func (x *raceTx) FindImportState(context.Context, string, string) (*userport.ImportState, error) {
	s := x.state
	return &s, nil
}

// FindImportRows finds nothing before the race, the holders after it.
func (x *raceTx) FindImportRows(_ context.Context, _ *userport.ImportBatch, key string, values []string) ([]userport.ImportRow, error) {
	if r, ok := x.holders[key+"="+values[0]]; ok && x.raced {
		return []userport.ImportRow{r}, nil
	}
	return nil, nil
}

// InsertImportUsers refuses every user.
func (x *raceTx) InsertImportUsers(_ context.Context, _ *userport.ImportBatch, users []userport.ImportWrite) ([]int, error) {
	x.raced = true
	refused := make([]int, len(users))
	for i := range refused {
		refused[i] = i
	}
	return refused, nil
}
func (x *raceTx) UpdateImportUsers(ctx context.Context, b *userport.ImportBatch, users []userport.ImportWrite) ([]int, error) {
	return x.InsertImportUsers(ctx, b, users)
}
func (x *raceTx) InsertImportErrors(_ context.Context, _ *userport.ImportBatch, errs []userport.ImportError) error {
	x.errs = append(x.errs, errs...)
	return nil
}
func (x *raceTx) AddImportCounts(_ context.Context, _ *userport.ImportBatch, c userport.ImportSummary) error {
	x.state.Summary.Inserted += c.Inserted
	x.state.Summary.Failed += c.Failed
	return nil
}
func (x *raceTx) WriteImportProgress(context.Context, *userport.ImportBatch) error { return nil }

// TestWriteImportBatchRefusedWrites checks that a write the store refuses
// although the batch found its keys free becomes the issue of the key that
// its holder has now (with and without upsert), and that a refusal no
// holder explains fails the batch.
func TestWriteImportBatchRefusedWrites(t *testing.T) {
	holder := userport.ImportRow{User: &userport.User{UserID: "auth0|other", ConnectionID: "con_1"}, ImportJob: ""}
	tests := []struct {
		name    string
		upsert  bool
		holders map[string]userport.ImportRow
		want    userport.ImportIssue
		wantErr string
	}{
		{"insert, email taken", false, map[string]userport.ImportRow{"email=a@x.com": holder}, userport.ImportExists("email"), ""},
		{"upsert, username taken", true, map[string]userport.ImportRow{"username=ann": holder}, userport.ImportCollision("username"), ""},
		{"no holder", false, nil, userport.ImportIssue{}, "collides with no user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := &raceTx{holders: tc.holders}
			u := &userport.User{UserID: "auth0|1", Email: "a@x.com", Username: "ann"}
			b := &userport.ImportBatch{Tenant: "t", JobID: "job_1", ConnectionID: "con_1", Upsert: tc.upsert, From: 0, To: 1,
				Users: []userport.ImportUser{{Record: 0, User: u, Echo: func() json.RawMessage { return json.RawMessage(`{}`) }}}}
			_, err := userport.WriteImportBatch(t.Context(), tx, b)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("WriteImportBatch = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("WriteImportBatch: %v", err)
			}
			if len(tx.errs) != 1 || len(tx.errs[0].Errors) != 1 || tx.errs[0].Errors[0] != tc.want {
				t.Errorf("errors = %+v, want one %+v", tx.errs, tc.want)
			}
			if tx.state.Summary.Inserted != 0 || tx.state.Summary.Failed != 1 {
				t.Errorf("counts = %+v, want 1 failed", tx.state.Summary)
			}
		})
	}
}
