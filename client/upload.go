package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
)

// ImportRequest is an import of users: the multipart fields of
// POST /api/v2/jobs/users-imports.
type ImportRequest struct {
	File         io.Reader // a JSON array or NDJSON, gzip'd or not
	FileName     string    // the name the file is sent under
	Size         int64     // bytes of File; -1 when unknown (standard input)
	ConnectionID string
	Upsert       bool
	ExternalID   string
	// NewIDs asks the server to drop the file's user ids (new_ids, a
	// userport extension): sent only when set.
	NewIDs bool
	// Progress, when not nil, is called with the bytes of File sent so far.
	Progress func(sent int64)
}

// CreateImport uploads the file and creates the import job (answered 202).
// The body is streamed, with its exact Content-Length, or chunked when the
// file's size is unknown.
func (c *Client) CreateImport(ctx context.Context, r ImportRequest) (*Job, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	head, tail, contentType := importForm(r)
	file := r.File
	if r.Size >= 0 {
		file = io.LimitReader(r.File, r.Size)
	}
	if r.Progress != nil {
		file = &progressReader{r: file, total: r.Size, fn: func(done, _ int64) { r.Progress(done) }}
	}
	body := io.MultiReader(bytes.NewReader(head), file, bytes.NewReader(tail))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("/api/v2/jobs/users-imports", nil), body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = -1 // chunked
	if r.Size >= 0 {
		req.ContentLength = int64(len(head)) + r.Size + int64(len(tail))
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+tok)
	var j Job
	if err := c.do(req, http.StatusAccepted, &j); err != nil {
		return nil, fmt.Errorf("create the import: %w", err)
	}
	return &j, nil
}

// importForm returns the multipart body around the file's bytes: the fields
// and the file part's header, then the closing boundary.
func importForm(r ImportRequest) (head, tail []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("connection_id", r.ConnectionID)
	_ = mw.WriteField("upsert", strconv.FormatBool(r.Upsert))
	if r.ExternalID != "" {
		_ = mw.WriteField("external_id", r.ExternalID)
	}
	if r.NewIDs {
		_ = mw.WriteField("new_ids", "true")
	}
	_, _ = mw.CreateFormFile("users", r.FileName)
	head = bytes.Clone(buf.Bytes())
	buf.Reset()
	_ = mw.Close()
	return head, buf.Bytes(), mw.FormDataContentType()
}
