package migrations_test

import (
	"testing"
	"testing/fstest"

	"github.com/userport/userport/internal/migrations"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0010_later.sql": {Data: []byte("CREATE TABLE b (x int);")},
		"migrations/0002_next.sql":  {Data: []byte("CREATE TABLE a (x int);")},
		"migrations/0001_init.sql":  {Data: []byte("CREATE TABLE t (x int);")},
		"migrations/README.md":      {Data: []byte("not a migration")},
	}
	all, err := migrations.Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []migrations.Migration{
		{Version: 1, Name: "0001_init.sql", SQL: "CREATE TABLE t (x int);"},
		{Version: 2, Name: "0002_next.sql", SQL: "CREATE TABLE a (x int);"},
		{Version: 10, Name: "0010_later.sql", SQL: "CREATE TABLE b (x int);"},
	}
	if len(all) != len(want) {
		t.Fatalf("Load: %d migrations %+v, want %d", len(all), all, len(want))
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("Load: migration %d = %+v, want %+v", i, all[i], want[i])
		}
	}
}

func TestLoadUnnumbered(t *testing.T) {
	fsys := fstest.MapFS{"migrations/init.sql": {Data: []byte("SELECT 1;")}}
	if _, err := migrations.Load(fsys); err == nil {
		t.Errorf("Load(migrations/init.sql): no error, want one for a name without a number")
	}
}
