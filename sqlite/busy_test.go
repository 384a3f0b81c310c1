package sqlite

import (
	"context"
	"database/sql"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
)

// TestBusyIsUnavailable holds the write lock from another connection (as
// the worker process does while it writes a batch) and checks that each
// write of the store, once its busy timeout passes, fails with
// EUNAVAILABLE and the driver's error still in the chain (issue 10: the API
// answered 500).
func TestBusyIsUnavailable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "userport.db")
	db, err := open(ctx, path, 20*time.Millisecond)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	conn := &userport.Connection{Tenant: "a", ID: "con_AAAAAAAAAAAAAAAA", Name: "Users", Strategy: "auth0", CreatedAt: now}
	u := &userport.User{Tenant: "a", UserID: "auth0|1", ConnectionID: conn.ID, Email: "a@example.com", Doc: []byte(`{"user_id":"auth0|1"}`)}
	job := &userport.Job{Tenant: "a", ID: "job_AAAAAAAAAAAAAAAA", Type: userport.JobUsersImport, Status: userport.JobPending,
		ConnectionID: conn.ID, CreatedAt: now}
	if err := db.CreateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUsers(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateImportJob(ctx, job, 10, 0, nil); err != nil {
		t.Fatal(err)
	}
	holdWriteLock(t, path)
	other := *job
	other.ID = "job_BBBBBBBBBBBBBBBB"
	writes := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"CreateUsers", func(ctx context.Context) error {
			return db.CreateUsers(ctx, &userport.User{Tenant: "a", UserID: "auth0|2", Doc: []byte(`{}`)})
		}},
		{"UpdateUser", func(ctx context.Context) error { return db.UpdateUser(ctx, u) }},
		{"DeleteUser", func(ctx context.Context) error { return db.DeleteUser(ctx, "a", u.UserID) }},
		{"CreateConnection", func(ctx context.Context) error {
			return db.CreateConnection(ctx, &userport.Connection{Tenant: "b", ID: "x"})
		}},
		{"PutClient", func(ctx context.Context) error { return db.PutClient(ctx, &userport.Client{Tenant: "a", ID: "c"}) }},
		{"CreateJob", func(ctx context.Context) error { return db.CreateJob(ctx, &other, 0, nil) }},
		{"CreateImportJob", func(ctx context.Context) error { return db.CreateImportJob(ctx, &other, 10, 0, nil) }},
		{"UpdateJob", func(ctx context.Context) error {
			_, err := db.UpdateJob(ctx, "a", job.ID, func(*userport.Job) error { return nil })
			return err
		}},
		{"StartJob", func(ctx context.Context) error {
			_, err := db.StartJob(ctx, "a", job.ID, 1, now)
			return err
		}},
		{"WriteImportBatch", func(ctx context.Context) error {
			_, err := db.WriteImportBatch(ctx, &userport.ImportBatch{Tenant: "a", JobID: job.ID, ConnectionID: conn.ID, To: 1})
			return err
		}},
		{"DeleteJob", func(ctx context.Context) error { return db.DeleteJob(ctx, "a", job.ID) }},
	}
	for _, w := range writes {
		err := w.fn(ctx)
		if userport.ErrorCode(err) != userport.EUNAVAILABLE || !isBusy(err) {
			t.Errorf("%s while another connection writes: %v, want EUNAVAILABLE wrapping SQLITE_BUSY", w.name, err)
		}
	}
}

// holdWriteLock takes the write lock of the database at path from another
// connection until the test ends.
func holdWriteLock(t *testing.T, path string) {
	t.Helper()
	other, err := sql.Open(DriverName, dsn(path, 0))
	if err != nil {
		t.Fatal(err)
	}
	c, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		_ = c.Close()
		_ = other.Close()
	})
}

// TestStoreMethodsMapBusy checks that every exported method of DB that runs
// statements (any that does more than return) defers mapBusy first, so that no busy database reaches the API
// as an internal error.
func TestStoreMethodsMapBusy(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || fn.Name.Name == "SQL" || fn.Name.Name == "Close" {
				continue
			}
			if recv, ok := fn.Recv.List[0].Type.(*ast.StarExpr); !ok || recv.X.(*ast.Ident).Name != "DB" {
				continue
			}
			if _, only := fn.Body.List[0].(*ast.ReturnStmt); only && len(fn.Body.List) == 1 {
				continue // runs no statement (AnalyzeUsers)
			}
			if !defersMapBusy(fn.Body) {
				t.Errorf("%s: DB.%s does not begin with defer mapBusy(&err)", name, fn.Name.Name)
			}
		}
	}
}

// defersMapBusy reports whether body's first statement is defer mapBusy(...).
func defersMapBusy(body *ast.BlockStmt) bool {
	if len(body.List) == 0 {
		return false
	}
	d, ok := body.List[0].(*ast.DeferStmt)
	if !ok {
		return false
	}
	id, ok := d.Call.Fun.(*ast.Ident)
	return ok && id.Name == "mapBusy"
}
