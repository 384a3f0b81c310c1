package userport

import "cmp"

// ExportManifest is the manifest of a completed export, as GET
// /api/v2/jobs/{id}/manifest (a userport extension) answers it: what its
// file holds, the file's size and sha256 (what a download is checked
// against), and the cursor the next incremental export continues from. It
// is the one wire type of the manifest: the server writes it (Job.Manifest)
// and the client reads it.
type ExportManifest struct {
	Rows        int64        `json:"rows"`       // users in the file
	Tombstones  int64        `json:"tombstones"` // deleted users in the file (incremental exports)
	Bytes       int64        `json:"bytes"`      // the stored file's size (gzip'd, or Parquet)
	SHA256      string       `json:"sha256"`     // hex sha256 of the stored file
	Format      Format       `json:"format"`
	Fields      []Field      `json:"fields"`
	FieldCounts []FieldCount `json:"field_counts"`
	// Q and ChangesSince are the export's filter and the cursor it started
	// from, null when not given.
	Q            *string `json:"q"`
	ChangesSince *string `json:"changes_since"`
	// Cursor names the point of the tenant's history the file is
	// consistent with; null when the export's limit cut it short.
	Cursor      *string `json:"cursor"`
	CreatedAt   string  `json:"created_at"`
	CompletedAt string  `json:"completed_at"`
}

// FieldCount is how many users of an export had a value (present, not
// null) for one of its fields, named by its column: export_as, else the
// path.
type FieldCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Manifest is the manifest of the completed export j, its cursor (when it
// has one: HasMark) signed with cursorKey. Its lists are empty, never null.
func (j *Job) Manifest(cursorKey []byte) ExportManifest {
	m := ExportManifest{Rows: j.Rows, Tombstones: j.Tombstones, Bytes: j.FileBytes, SHA256: j.SHA256,
		Format: j.Format, Fields: j.Fields, FieldCounts: []FieldCount{},
		Q: optional(j.Query), ChangesSince: optional(j.ChangesSince),
		CreatedAt: FormatTime(j.CreatedAt), CompletedAt: FormatTime(j.CompletedAt)}
	if m.Fields == nil {
		m.Fields = []Field{}
	}
	for i, f := range j.Fields {
		if i < len(j.FieldCounts) {
			m.FieldCounts = append(m.FieldCounts, FieldCount{Name: cmp.Or(f.ExportAs, f.Name), Count: j.FieldCounts[i]})
		}
	}
	if j.HasMark {
		c := Cursor{Tenant: j.Tenant, Low: j.Mark.Low, At: j.MarkAt}.Encode(cursorKey)
		m.Cursor = &c
	}
	return m
}

// optional is s, or nil (JSON null) when it is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// EmptyFields are the columns of m that no user had a value for: most
// likely a misspelt path, or one the users keep elsewhere. None when the
// file holds no user (an incremental export without changes).
func (m *ExportManifest) EmptyFields() []string {
	if m.Rows == 0 {
		return nil
	}
	var empty []string
	for _, fc := range m.FieldCounts {
		if fc.Count == 0 {
			empty = append(empty, fc.Name)
		}
	}
	return empty
}
