package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/userport/userport"
)

// Manifest prints what an export's summary adds from its manifest, once
// the file downloaded was checked against it: its size and sha256, its
// users and tombstones, its filter, the cursor the next incremental export
// continues from, and how many users had a value for each field.
func Manifest(w io.Writer, m *userport.ExportManifest) error {
	fmt.Fprintf(w, "checked against the manifest: %d bytes, sha256 %s; rows %d, tombstones %d\n", m.Bytes, m.SHA256, m.Rows, m.Tombstones)
	if m.Q != nil {
		fmt.Fprintf(w, "q: %s\n", *m.Q)
	}
	if m.Cursor != nil {
		fmt.Fprintf(w, "cursor: %s\n", *m.Cursor)
	} else {
		fmt.Fprintln(w, "cursor: none (the limit cut the export short)")
	}
	if len(m.FieldCounts) == 0 {
		return nil
	}
	counts := make([]string, len(m.FieldCounts))
	for i, fc := range m.FieldCounts {
		counts[i] = fmt.Sprintf("%s %d", fc.Name, fc.Count)
	}
	_, err := fmt.Fprintf(w, "users with a value, per field: %s\n", strings.Join(counts, ", "))
	return err
}

// EmptyFields warns on w of each field of the export no user had a value
// for: its column is empty.
func EmptyFields(w io.Writer, m *userport.ExportManifest) {
	for _, name := range m.EmptyFields() {
		fmt.Fprintf(w, "warning: no user of the export had a value for the field %s: its column is empty (a misspelt path, or one the users keep elsewhere?)\n", name)
	}
}
