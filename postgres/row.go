package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/userport/userport"
)

// row adapts a pgx row to userport.Row: a time is read from a nullable
// timestamptz (see toTime), no row is userport.ErrNoRow.
type row struct{ pgx.Row }

// Scan reads the row into dest.
func (r row) Scan(dest ...any) error {
	err := userport.ScanTimes(r.Row.Scan, fromTime, dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return userport.ErrNoRow
	}
	return err
}
