package sqlite

import (
	"database/sql"
	"errors"

	"github.com/userport/userport"
)

// row adapts a database/sql row (a *sql.Row's or *sql.Rows' Scan) to
// userport.Row: a time is read from Unix milliseconds (see toMillis), no
// row is userport.ErrNoRow.
type row func(dest ...any) error

// Scan reads the row into dest.
func (r row) Scan(dest ...any) error {
	err := userport.ScanTimes(r, fromMillis, dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return userport.ErrNoRow
	}
	return err
}
