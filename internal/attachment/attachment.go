// Package attachment spells the Content-Disposition header of a download,
// which both blob stores send for an export file.
package attachment

import (
	"mime"
	"strings"
)

// Header returns a Content-Disposition header that saves the download as
// name: quoted as it is when it is plain ASCII, otherwise escaped or RFC
// 2231-encoded by mime.FormatMediaType.
func Header(name string) string {
	plain := !strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r > 0x7e || r == '"' || r == '\\' })
	if plain {
		return `attachment; filename="` + name + `"`
	}
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// The other headers of an export file's download: a gzip file, kept by no
// cache on the way.
const (
	ContentType  = "application/gzip"
	CacheControl = "private, no-store"
)
