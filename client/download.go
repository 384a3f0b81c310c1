package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
)

// Saved is what DownloadExport wrote.
type Saved struct {
	Path  string // the file written
	Rows  int64  // users in it (a CSV's header row not counted)
	Bytes int64  // its size
}

// maxLinkRenewals is how many fresh links a download asks for when the one
// it holds has expired.
const maxLinkRenewals = 3

// DownloadExport downloads the file of the completed export job into path,
// atomically (a temporary file in the same directory, renamed once whole):
// gzip'd as served, or gunzip'd when gunzip is set. The whole gzip stream is
// checked either way. A link that has expired (403 or 410) is replaced by a
// fresh one from GET /jobs/{id}. progress, when not nil, is called with the
// bytes received so far and the file's size (-1 when unknown).
func (c *Client) DownloadExport(ctx context.Context, job *Job, path string, gunzip bool, progress func(done, total int64)) (*Saved, error) {
	body, err := c.openExport(ctx, job, progress)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	saved, err := writeAtomic(path, func(w io.Writer) (int64, error) { return copyExport(w, body, job.Format, gunzip) })
	if err != nil {
		return nil, fmt.Errorf("download the export of job %s: %w", job.ID, err)
	}
	return saved, nil
}

// openExport opens the body of the job's file, reporting the bytes read
// through it to progress when not nil.
func (c *Client) openExport(ctx context.Context, job *Job, progress func(done, total int64)) (io.ReadCloser, error) {
	resp, err := c.openLink(ctx, job)
	if err != nil {
		return nil, err
	}
	if progress == nil {
		return resp.Body, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{&progressReader{r: resp.Body, total: resp.ContentLength, fn: progress}, resp.Body}, nil
}

// openLink GETs the job's location, renewing it while it answers 403 or 410.
func (c *Client) openLink(ctx context.Context, job *Job) (*http.Response, error) {
	loc := job.Location
	for renewals := 0; ; renewals++ {
		if loc == "" {
			return nil, fmt.Errorf("job %s has no file to download (status %s)", job.ID, job.Status)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return nil, fmt.Errorf("download link of job %s: %w", job.ID, err)
		}
		resp, err := c.send(req) // no Authorization: the link is signed (and S3 would refuse it)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusOK {
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

// copyExport copies the gzip stream r into w (as is, or gunzip'd) while
// checking it whole, and counts the users in it.
func copyExport(w io.Writer, r io.Reader, format string, gunzip bool) (rows int64, err error) {
	if !gunzip {
		r = io.TeeReader(r, w)
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<16))
	if err != nil {
		return 0, fmt.Errorf("the file is not gzip: %w", err)
	}
	defer zr.Close()
	counter := &rowCounter{csv: format == "csv"}
	out := io.Writer(counter)
	if gunzip {
		out = io.MultiWriter(w, counter)
	}
	if _, err := io.Copy(out, zr); err != nil {
		return 0, fmt.Errorf("the gzip stream is broken: %w", err)
	}
	return counter.rows(), nil
}

// writeAtomic writes path through fill into a temporary file of the same
// directory, synced, then renamed over path; nothing is left of a failure.
func writeAtomic(path string, fill func(io.Writer) (int64, error)) (*Saved, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	rows, err := fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return nil, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return nil, err
	}
	done = true
	syncDir(dir)
	return &Saved{Path: path, Rows: rows, Bytes: st.Size()}, nil
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
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
