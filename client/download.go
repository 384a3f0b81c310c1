package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/atomicfile"
	"github.com/userport/userport/internal/countio"
)

// Saved is what DownloadExport wrote.
type Saved struct {
	Path  string // the file written
	Rows  int64  // lines in it: users and tombstones (a CSV's header row not counted)
	Bytes int64  // its size
	// Received is the size of the gzip stream received, and SHA256 its hex
	// sha256: what an export's manifest says of the stored file.
	Received int64
	SHA256   string
	// Resumed are the bytes of the file received when the connection
	// broke and the download resumed, in order; none when it never broke.
	Resumed []int64
}

// maxLinkRenewals is how many fresh links a download asks for when the one
// it holds has expired.
const maxLinkRenewals = 3

// DownloadExport downloads the file of the completed export job into path,
// atomically (a temporary file in the same directory, renamed once whole):
// gzip'd as served, or gunzip'd when gunzip is set. The whole gzip stream is
// checked either way. A link that has expired (403 or 410) is replaced by a
// fresh one from GET /jobs/{id}, and a connection that breaks before the
// file's end is resumed where it stopped (Range), the rest checked to be of
// the same file (its ETag). progress, when not nil, is called with the
// bytes received so far and the file's size (-1 when unknown).
func (c *Client) DownloadExport(ctx context.Context, job *Job, path string, gunzip bool, progress func(done, total int64)) (*Saved, error) {
	return c.DownloadChecked(ctx, job, nil, path, gunzip, progress)
}

// DownloadChecked is DownloadExport that also checks the bytes received
// against the export's manifest m (their number and sha256; nil: no check)
// before the file takes its name: a file that does not match is not
// written.
func (c *Client) DownloadChecked(ctx context.Context, job *Job, m *userport.ExportManifest, path string, gunzip bool, progress func(done, total int64)) (*Saved, error) {
	body, r, err := c.openExport(ctx, job, progress)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var got copied
	size, err := atomicfile.Write(path, func(w io.Writer) (err error) {
		if got, err = copyExport(w, r, job.Format, gunzip); err != nil {
			return err
		}
		return checkManifest(m, got)
	})
	if err != nil {
		return nil, fmt.Errorf("download the export of job %s: %w", job.ID, err)
	}
	return &Saved{Path: path, Rows: got.rows, Bytes: size, Received: got.received, SHA256: got.sha256, Resumed: body.resumed}, nil
}

// openExport opens the job's file, a download that resumes where its
// connection broke (resumer), reporting the bytes read through it to
// progress when not nil.
func (c *Client) openExport(ctx context.Context, job *Job, progress func(done, total int64)) (*resumer, io.Reader, error) {
	r, err := c.openResumer(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	if progress == nil {
		return r, r, nil
	}
	return r, &progressReader{r: r, total: r.size, fn: progress}, nil
}

// openLink GETs the job's location with the headers h (nil: none),
// renewing the link while it answers 403 or 410 (an expired link: a fresh
// one comes from GET /jobs/{id}). An answer other than 200, or 206 to a
// request with a Range, is an error.
func (c *Client) openLink(ctx context.Context, job *Job, h http.Header) (*http.Response, error) {
	loc := job.Location
	for renewals := 0; ; renewals++ {
		if loc == "" {
			return nil, fmt.Errorf("job %s has no file to download (status %s)", job.ID, job.Status)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return nil, fmt.Errorf("download link of job %s: %w", job.ID, err)
		}
		if h != nil {
			req.Header = h.Clone()
		}
		// The bytes as stored: no transparent gzip that would make them
		// other bytes, or ranges of them other ranges.
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := c.send(req) // no Authorization: the link is signed (and S3 would refuse it)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent && req.Header.Get("Range") != "" {
			return resp, nil
		}
		err = readError(resp)
		resp.Body.Close()
		if (resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusGone) || renewals == maxLinkRenewals {
			return nil, fmt.Errorf("download the export of job %s: %w", job.ID, err)
		}
		fresh, err := c.Job(ctx, job.ID)
		if err != nil {
			return nil, err
		}
		loc, job.Location = fresh.Location, fresh.Location
	}
}

// copied is what copyExport read.
type copied struct {
	rows     int64  // lines: users and tombstones (a CSV's header not counted)
	received int64  // bytes of the gzip stream
	sha256   string // hex sha256 of the gzip stream
}

// copyExport copies the gzip stream r into w (as is, or gunzip'd) while
// checking it whole, and counts the users in it and hashes it. A Parquet
// file is copied as it is (copyParquet).
func copyExport(w io.Writer, r io.Reader, format string, gunzip bool) (copied, error) {
	if format == FormatParquet {
		return copyParquet(w, r)
	}
	h := sha256.New()
	raw := &countio.Writer{W: h}
	r = io.TeeReader(r, raw)
	if !gunzip {
		r = io.TeeReader(r, w)
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<16))
	if err != nil {
		return copied{}, fmt.Errorf("the file is not gzip: %w", err)
	}
	defer zr.Close()
	counter := &rowCounter{csv: format == "csv"}
	out := io.Writer(counter)
	if gunzip {
		out = io.MultiWriter(w, counter)
	}
	if _, err := io.Copy(out, zr); err != nil {
		return copied{}, fmt.Errorf("the gzip stream is broken: %w", err)
	}
	// Whatever follows the gzip stream (nothing, from a sound server) is
	// part of what was received.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return copied{}, err
	}
	return copied{rows: counter.rows(), received: raw.N, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyParquet copies a Parquet file r into w as it is, and hashes it. Its
// rows are not counted (-1): the manifest says how many there are.
func copyParquet(w io.Writer, r io.Reader) (copied, error) {
	h := sha256.New()
	raw := &countio.Writer{W: h}
	if _, err := io.Copy(io.MultiWriter(w, raw), r); err != nil {
		return copied{}, err
	}
	return copied{rows: -1, received: raw.N, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// rowCounter counts the lines written to it; in CSV, a line end inside a
// quoted cell does not end a row, and the header row is not counted.
type rowCounter struct {
	csv    bool
	quoted bool
	lines  int64
}

// Write counts the row ends in p.
func (c *rowCounter) Write(p []byte) (int, error) {
	n := len(p)
	if !c.csv {
		c.lines += int64(bytes.Count(p, []byte{'\n'}))
		return n, nil
	}
	for len(p) > 0 {
		var i int
		if c.quoted {
			i = bytes.IndexByte(p, '"')
		} else {
			i = bytes.IndexAny(p, "\"\n")
		}
		if i < 0 {
			break
		}
		if p[i] == '"' {
			c.quoted = !c.quoted // a doubled quote toggles twice
		} else {
			c.lines++
		}
		p = p[i+1:]
	}
	return n, nil
}

// rows is the number of users counted.
func (c *rowCounter) rows() int64 {
	if c.csv && c.lines > 0 {
		return c.lines - 1
	}
	return c.lines
}

// progressReader reports the bytes read through it.
type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.fn(p.done, p.total)
	return n, err
}
