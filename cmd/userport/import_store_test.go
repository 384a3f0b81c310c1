package main

import (
	"context"
	"testing"

	"github.com/userport/userport"
)

// batchesStore counts the batches of each WriteImportBatches transaction.
type batchesStore struct {
	userport.Store // nil: only the methods below are called
	txs, batches   int
}

func (s *batchesStore) WriteImportBatch(context.Context, *userport.ImportBatch) (*userport.ImportState, error) {
	s.txs++
	s.batches++
	return &userport.ImportState{}, nil
}

// heldStore writes several batches in one transaction.
type heldStore struct{ *batchesStore }

func (s heldStore) WriteImportBatches(ctx context.Context, b *userport.ImportBatch,
	next func(context.Context, func() bool) *userport.ImportBatch) (*userport.ImportState, error) {
	s.txs++
	for ; b != nil; b = next(ctx, func() bool { return false }) {
		s.batches++
	}
	return &userport.ImportState{}, nil
}

// TestImportsUseTheStoresTransactions: a server's imports write through the
// store's own WriteImportBatches (the batches next hands, in one
// transaction) also when the store is wrapped in the command's database
// type, whose embedded interface hid it (issue 20: one batch per
// transaction over HTTP); a store without it writes the first batch alone.
func TestImportsUseTheStoresTransactions(t *testing.T) {
	for _, tt := range []struct {
		name        string
		store       func(*batchesStore) *database
		wantBatches int
	}{
		{"held store in database", func(s *batchesStore) *database { return &database{Store: heldStore{s}} }, 3},
		{"plain store in database", func(s *batchesStore) *database { return &database{Store: s} }, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var s batchesStore
			more := 2
			next := func(context.Context, func() bool) *userport.ImportBatch {
				if more == 0 {
					return nil
				}
				more--
				return &userport.ImportBatch{}
			}
			if _, err := tt.store(&s).WriteImportBatches(t.Context(), &userport.ImportBatch{}, next); err != nil {
				t.Fatal(err)
			}
			if s.txs != 1 || s.batches != tt.wantBatches {
				t.Errorf("%d transactions of %d batches, want 1 of %d", s.txs, s.batches, tt.wantBatches)
			}
		})
	}
}
