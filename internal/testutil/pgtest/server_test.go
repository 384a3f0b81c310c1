package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/userport/userport/internal/testutil/pgtest"
)

func TestServerRestarts(t *testing.T) {
	s := pgtest.StartServer(t)
	ctx := context.Background()
	query := func() error {
		c, err := pgx.Connect(ctx, s.URL)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		var n int
		return c.QueryRow(ctx, "SELECT 1").Scan(&n)
	}
	if err := query(); err != nil {
		t.Fatalf("before the restart: %v", err)
	}
	s.Stop()
	if err := query(); err == nil {
		t.Fatal("a stopped server answered")
	}
	s.Start()
	if err := query(); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
}
