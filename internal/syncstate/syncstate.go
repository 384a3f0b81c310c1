// Package syncstate keeps the state of `userport export --incremental
// --state FILE` between runs: the cursor the next export continues from,
// and a few facts of the export that gave it. The file is written only
// once that export's file was downloaded and checked against its
// manifest, atomically and readable by its owner only (it names the
// tenant's history, and a cursor is a credential of sorts).
package syncstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/atomicfile"
)

// State is the content of a state file.
type State struct {
	// Cursor is the last export's cursor: the next export holds what
	// changed since.
	Cursor string `json:"cursor"`
	// The export that gave Cursor.
	JobID      string    `json:"job_id"`
	URL        string    `json:"url,omitempty"` // the server's
	ExportedAt time.Time `json:"exported_at"`
	File       string    `json:"file,omitempty"` // where its file went
	Rows       int64     `json:"rows"`
	Tombstones int64     `json:"tombstones"`
}

// CheckFlags checks, before anything runs, that the export command's
// flags go together: --state and --incremental come as a pair, neither
// with --changes-since (which names the cursor itself), and an
// incremental export takes no --limit (a cut-short export has no cursor).
func CheckFlags(incremental bool, state, changesSince string, limit int) error {
	switch {
	case state != "" && !incremental:
		return errors.New("--state goes with --incremental: userport export --incremental --state FILE")
	case incremental && state == "":
		return errors.New("--incremental needs --state FILE, the file that keeps the cursor between runs")
	case incremental && changesSince != "":
		return errors.New("give --changes-since CURSOR or --incremental --state FILE, not both")
	case incremental && limit > 0:
		return errors.New("--incremental takes no --limit: an export cut short has no cursor to continue from")
	}
	return nil
}

// Load reads the state file at path: nil (and no error) when there is
// none yet, the first run, which takes a full export. The file's directory
// must be writable, since the run ends by writing it.
func Load(path string) (*State, error) {
	if err := client.CheckOutput(path, true); err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil || s.Cursor == "" {
		return nil, fmt.Errorf("%s is not a state file of userport export --incremental (no cursor in it): "+
			"delete it, or give another --state, to take a full export", path)
	}
	return &s, nil
}

// Save writes s as the state file at path, atomically, mode 0600.
func Save(path string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write the state file %s: %w", path, err)
	}
	return nil
}

// Refused explains err when it is the server's refusal of the cursor of
// the state file at path ("" when the cursor came from --changes-since):
// how to start again with a full export. Any other error is returned as
// is.
func Refused(err error, path string) error {
	if !client.CursorRefused(err) {
		return err
	}
	const why = "(a cursor is refused past the server's tombstone retention, from another tenant or server, " +
		"or once the server was restored from an older backup)"
	if path == "" {
		return fmt.Errorf("the server refused the cursor of --changes-since: take a full export, without --changes-since, "+
			"and continue from its cursor %s: %w", why, err)
	}
	return fmt.Errorf("the server refused the cursor kept in %s, which was not changed: delete %s (or move it away) and run "+
		"again to take a full export, which starts a new chain of incremental ones %s: %w", path, path, why, err)
}
