// Package console is userport's web console: a page written by hand in plain
// HTML, CSS and JavaScript, embedded in the binary, that signs in with a
// client's credentials and drives the Management API from the browser
// (connections and their user counts, exports, the jobs' progress, downloads,
// imports and their errors). Nothing is fetched from another origin and no
// build step is needed.
//
// The handler answers GET / (the page) and GET /console/NAME (its assets)
// under a strict Content-Security-Policy and the usual security headers;
// those headers are the console's own, the API's answers do not carry them.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// AssetPrefix is the path under which the console's assets are served.
const AssetPrefix = "/console/"

// ContentSecurityPolicy is the policy of every console answer: scripts,
// styles, images and requests from the server's own origin only, no inline
// script or style, no plugins, no framing, no <base>, no form posts (the
// page's forms are sent by its script), and DOM sinks that take strings
// (innerHTML and the like) refused outright through Trusted Types.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'"

// securityHeaders are set on every console answer, the 404 included.
var securityHeaders = map[string]string{
	"Content-Security-Policy":      ContentSecurityPolicy,
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
	// Revalidated on every load (cheap: an ETag), so a new binary's page
	// never runs with an old script.
	"Cache-Control": "no-cache",
}

// contentTypes are the media types of the asset kinds the console has; an
// asset of another kind is a build error (see New), not a guess.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

//go:embed assets
var assets embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	name  string
	body  []byte
	ctype string
	etag  string
}

// Handler serves the console. Make it with New.
type Handler struct {
	index  *asset
	assets map[string]*asset // by name under AssetPrefix
}

// New returns the console's handler over the embedded assets.
func New() (*Handler, error) {
	h := &Handler{assets: map[string]*asset{}}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		a, err := load(p)
		if err != nil {
			return err
		}
		h.assets[a.name] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	if h.index = h.assets["index.html"]; h.index == nil {
		return nil, fmt.Errorf("console assets: no index.html")
	}
	return h, nil
}

// load reads the embedded file p.
func load(p string) (*asset, error) {
	ctype, ok := contentTypes[path.Ext(p)]
	if !ok {
		return nil, fmt.Errorf("%s: no content type for %q", p, path.Ext(p))
	}
	body, err := assets.ReadFile(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	return &asset{name: strings.TrimPrefix(p, "assets/"), body: body, ctype: ctype,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}, nil
}

// ServeHTTP answers / with the page and /console/NAME with an asset; any
// other path, and any method but GET and HEAD, is answered 404 and 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a := h.find(r.URL.Path)
	if a == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// find returns the asset of an URL path, nil when there is none. The page
// itself is served at / only, not under its file name.
func (h *Handler) find(p string) *asset {
	if p == "/" {
		return h.index
	}
	name, ok := strings.CutPrefix(p, AssetPrefix)
	if !ok || name == "index.html" {
		return nil
	}
	return h.assets[name]
}
