package userport_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/userport/userport"
)

func TestUserSampleCuts(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("u%02d", i+1)
		}
		return out
	}
	for _, tt := range []struct {
		ids    int
		weight float64
		n      int
		cuts   []string
		users  int64
	}{
		{10, 1, 4, []string{"u03", "u06", "u09"}, 10},
		{9, 1, 4, []string{"u03", "u06"}, 9},       // never at the last: no empty range
		{12, 1, 3, []string{"u04", "u08"}, 12},     // equal ranges
		{12, 100, 3, []string{"u04", "u08"}, 1200}, // the weight changes the estimate, not the cuts
		{3, 1, 4, []string{"u01", "u02"}, 3},
		{1, 1, 4, nil, 1},
		{0, 1, 4, nil, 0},
		{10, 1, 1, nil, 10},
		{10, 2.5, 0, nil, 25},
	} {
		s := userport.UserSample{IDs: ids(tt.ids), Weight: tt.weight}
		if got := s.Cuts(tt.n); !slices.Equal(got, tt.cuts) {
			t.Errorf("%d ids, Cuts(%d) = %q, want %q", tt.ids, tt.n, got, tt.cuts)
		}
		if got := s.Users(); got != tt.users {
			t.Errorf("%d ids of weight %g: Users() = %d, want %d", tt.ids, tt.weight, got, tt.users)
		}
	}
}
