// Package attachment spells the Content-Disposition and Content-Type headers
// of a download, which both blob stores send for an export file.
package attachment

import (
	"mime"
	"path"
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

// CacheControl is the Cache-Control of an export file's download: kept by
// no cache on the way.
const CacheControl = "private, no-store"

// ContentType returns the Content-Type of the export file name: a Parquet
// file ({tenant}.parquet, IANA's media type for Parquet), or else gzip.
func ContentType(name string) string {
	if path.Ext(name) == ".parquet" {
		return "application/vnd.apache.parquet"
	}
	return "application/gzip"
}
