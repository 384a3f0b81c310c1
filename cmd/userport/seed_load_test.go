package main

import (
	"context"
	"io"
	"iter"
	"testing"

	"github.com/userport/userport"
	"github.com/userport/userport/seed"
)

// loaderStore counts how users reach it: by its bulk load or by CreateUsers.
type loaderStore struct {
	userport.Store // nil: only the two methods below are called
	loaded, batch  int
}

func (s *loaderStore) CreateUsers(_ context.Context, users ...*userport.User) error {
	s.batch += len(users)
	return nil
}

// plainStore has no bulk load.
type plainStore struct{ *loaderStore }

type bulkStore struct{ *loaderStore }

func (s bulkStore) LoadUsers(_ context.Context, _ int, batches iter.Seq[[]*userport.User]) error {
	for b := range batches {
		s.loaded += len(b)
	}
	return nil
}

// TestSeedUsesTheBulkLoad: userport seed writes through the store's own bulk
// load, also when the store is wrapped in the command's database type (whose
// embedded interface once hid it, at a seventh of the speed).
func TestSeedUsesTheBulkLoad(t *testing.T) {
	conn := &userport.Connection{ID: "con_0123456789abcdef", Name: userport.DefaultConnectionName}
	for _, tt := range []struct {
		name       string
		store      func(*loaderStore) userport.UserStore
		wantLoaded bool
	}{
		{"bulk store", func(s *loaderStore) userport.UserStore { return bulkStore{s} }, true},
		{"bulk store in database", func(s *loaderStore) userport.UserStore { return &database{Store: bulkStore{s}} }, true},
		{"plain store", func(s *loaderStore) userport.UserStore { return plainStore{s} }, false},
		{"plain store in database", func(s *loaderStore) userport.UserStore { return &database{Store: plainStore{s}} }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var s loaderStore
			const n = 2500
			if err := seedUsers(context.Background(), tt.store(&s), seed.New(1, "dev", conn, seed.Start), n, io.Discard); err != nil {
				t.Fatal(err)
			}
			want := loaderStore{loaded: n}
			if !tt.wantLoaded {
				want = loaderStore{batch: n}
			}
			if s.loaded != want.loaded || s.batch != want.batch {
				t.Errorf("bulk load %d users, CreateUsers %d; want %d, %d", s.loaded, s.batch, want.loaded, want.batch)
			}
		})
	}
}
