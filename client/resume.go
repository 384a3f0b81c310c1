package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxResumeTries is how many times in a row a download asks for the rest
// of its file without receiving a byte before it gives up.
const maxResumeTries = 5

// resumeWait is how long a download waits before its second try to resume,
// doubled at each further try (0.25 s, 0.5 s, 1 s, 2 s).
var resumeWait = 250 * time.Millisecond

// resumer reads the file of a completed export from its download link and,
// when the connection breaks before the file's end, asks for the rest
// (Range: bytes=N-, If-Range: the first answer's ETag), under a fresh link
// when the one it holds has expired, and checks that the rest is of the
// same file: a 206 whose Content-Range starts where the file stopped, with
// the first answer's ETag. A server that sends the whole file again (200)
// has the part already read skipped. The bytes read are one stream, as if
// nothing broke; the caller still checks their sha256 against the manifest.
type resumer struct {
	ctx     context.Context
	c       *Client
	job     *Job
	body    io.ReadCloser // nil: broken, to be resumed
	read    int64         // bytes of the file read so far
	size    int64         // the file's size; -1: unknown
	etag    string        // the first answer's strong ETag; "": none
	broken  error         // why the last answer ended early
	tries   int           // tries to resume in a row that received nothing
	resumed []int64       // where the download resumed
}

// openResumer GETs the job's file, renewing an expired link.
func (c *Client) openResumer(ctx context.Context, job *Job) (*resumer, error) {
	resp, err := c.openLink(ctx, job, nil)
	if err != nil {
		return nil, err
	}
	r := &resumer{ctx: ctx, c: c, job: job, body: resp.Body, size: resp.ContentLength}
	if etag := resp.Header.Get("ETag"); !strings.HasPrefix(etag, "W/") {
		r.etag = etag
	}
	return r, nil
}

// Read reads the file, resuming it where the connection broke.
func (r *resumer) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			if err := r.resume(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.read += int64(n)
		if n > 0 {
			r.tries = 0
		}
		if err == nil || err == io.EOF && (r.size < 0 || r.read == r.size) {
			return n, err
		}
		if err == io.EOF { // a body shorter than its Content-Length said
			err = io.ErrUnexpectedEOF
		}
		if r.ctx.Err() != nil {
			return n, r.ctx.Err()
		}
		r.body.Close()
		r.body, r.broken = nil, err
		if n > 0 {
			return n, nil
		}
	}
}

// Close closes the answer being read.
func (r *resumer) Close() error {
	if r.body == nil {
		return nil
	}
	return r.body.Close()
}

// resume asks for the rest of the file until an answer sends it, waiting
// longer after each try, at most maxResumeTries in a row; an error that
// will not pass (a 404, a file that changed) ends it at once.
func (r *resumer) resume() error {
	for {
		if r.tries == maxResumeTries {
			return fmt.Errorf("the download broke at byte %d%s and did not resume after %d tries: %w", r.read, r.ofSize(), r.tries, r.broken)
		}
		r.tries++
		if r.tries > 1 {
			if err := sleep(r.ctx, resumeWait<<(r.tries-2)); err != nil {
				return err
			}
		}
		err := r.reopen()
		if err == nil || !transient(err) {
			return err
		}
		r.broken = err
	}
}

// transient reports whether err, met while resuming, may pass: no answer
// (the server or the network is down), an answer that broke again, or a
// server error (5xx: S3's 503 Slow Down, a proxy's 502).
func transient(err error) bool {
	var unreachable *UnreachableError
	var e *Error
	return errors.As(err, &unreachable) || errors.Is(err, errBrokenAgain) || errors.As(err, &e) && e.StatusCode >= 500
}

// errBrokenAgain is an answer that broke before it reached where the file
// stopped: another try.
var errBrokenAgain = errors.New("the connection broke again")

// reopen GETs the rest of the file from r.read, and checks the answer.
func (r *resumer) reopen() error {
	h := http.Header{"Range": {"bytes=" + strconv.FormatInt(r.read, 10) + "-"}}
	if r.etag != "" {
		h.Set("If-Range", r.etag)
	}
	resp, err := r.c.openLink(r.ctx, r.job, h)
	if err != nil {
		return err
	}
	if err := r.check(resp); err != nil {
		resp.Body.Close()
		return fmt.Errorf("resume the download at byte %d%s: %w", r.read, r.ofSize(), err)
	}
	if resp.StatusCode == http.StatusOK { // the whole file again: skip what was read
		if _, err := io.CopyN(io.Discard, resp.Body, r.read); err != nil {
			resp.Body.Close()
			return fmt.Errorf("%w: %v", errBrokenAgain, err)
		}
	}
	r.body = resp.Body
	r.resumed = append(r.resumed, r.read)
	return nil
}

// check checks that the answer resp to a range request sends the rest of
// the same file.
func (r *resumer) check(resp *http.Response) error {
	if etag := resp.Header.Get("ETag"); r.etag != "" && etag != r.etag {
		return fmt.Errorf("the file changed on the server (ETag %s, first %s)", etag, r.etag)
	}
	if resp.StatusCode == http.StatusOK {
		if r.size >= 0 && resp.ContentLength >= 0 && resp.ContentLength != r.size {
			return fmt.Errorf("the file changed on the server (%d bytes, first %d)", resp.ContentLength, r.size)
		}
		return nil
	}
	start, end, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
	if !ok || start != r.read || total < 0 || end != total-1 || r.size >= 0 && total != r.size {
		return fmt.Errorf("the server sent the range %q, not the rest of the file from byte %d", resp.Header.Get("Content-Range"), r.read)
	}
	r.size = total
	return nil
}

// ofSize is " of N" when the file's size is known.
func (r *resumer) ofSize() string {
	if r.size < 0 {
		return ""
	}
	return " of " + strconv.FormatInt(r.size, 10)
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL "*": -1).
func parseContentRange(s string) (start, end, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	span, size, found2 := strings.Cut(rest, "/")
	first, last, found3 := strings.Cut(span, "-")
	if !found || !found2 || !found3 {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	start, err1 = strconv.ParseInt(first, 10, 64)
	end, err2 = strconv.ParseInt(last, 10, 64)
	total = -1
	if size != "*" {
		total, err3 = strconv.ParseInt(size, 10, 64)
	}
	ok = err1 == nil && err2 == nil && err3 == nil && start >= 0 && start <= end
	return start, end, total, ok
}
