package localblob

import (
	"encoding/json"
	"net/http"
	"path"
	"strconv"

	"github.com/userport/userport/internal/attachment"
)

// Handler serves GET and HEAD /exports/{key...}: the blob, if the URL's
// Expires and Signature are those SignedURL made for the key and the link has
// not expired. Otherwise, or if the blob is missing, it answers 403 with an
// Auth0-style JSON error body and no file bytes. The file's bytes are sent as
// they are stored (no Content-Encoding), with net/http's ServeContent: HEAD
// with the size, Range and If-Range (206), several ranges (206
// multipart/byteranges, or 200 when they overlap too much), 416 for a range
// past the end; a link that names the blob's sha256 makes it the strong
// ETag. Mount it at "/exports/" (the path is matched in full; a proxy may
// strip a base URL's own path first).
func (s *Store) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /exports/{key...}", s.serveExport)
	return mux
}

func (s *Store) serveExport(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if checkKey(key) != nil {
		forbid(w, "Invalid file name")
		return
	}
	sum, err := s.verify(key, r.URL.RawQuery)
	if err != nil {
		forbid(w, err.Error())
		return
	}
	f, fi, err := s.open(r.Context(), key)
	if err != nil {
		forbid(w, "The file does not exist or has expired")
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", attachment.ContentType(path.Base(key)))
	h.Set("Content-Disposition", attachment.Header(path.Base(key)))
	h.Set("Cache-Control", attachment.CacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	if sum != "" {
		h.Set("ETag", `"`+sum+`"`) // strong: ServeContent answers If-Range, If-Match and If-None-Match by it
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// forbid answers 403 with {"statusCode":403,"error":"Forbidden","message":...}.
func forbid(w http.ResponseWriter, message string) {
	body, _ := json.Marshal(struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}{http.StatusForbidden, "Forbidden", message})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	w.Write(body)
}
