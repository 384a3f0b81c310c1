package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/countio"
)

// Stdout is the output path that names standard output.
const Stdout = "-"

// FormatOf is the export format a file name asks for: "csv" for .csv and
// .csv.gz, "json" for .json, .ndjson and their .gz, "parquet" for .parquet;
// "" for any other name.
func FormatOf(path string) string {
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	switch filepath.Ext(name) {
	case ".csv":
		return "csv"
	case ".json", ".ndjson":
		return "json"
	case ".parquet":
		return FormatParquet
	}
	return ""
}

// FormatParquet is the format of a Parquet export (a userport extension):
// one file, not gzip'd, downloaded as it is.
const FormatParquet = "parquet"

// CheckOutput checks, before any work, that a file can be written at path:
// its directory exists and is writable, and path is no directory; an
// existing file is refused unless force. Stdout passes; "" (a name the
// server will give) checks the current directory only.
func CheckOutput(path string, force bool) error {
	switch path {
	case Stdout:
		return nil
	case "":
		if err := checkDir("."); err != nil {
			return fmt.Errorf("cannot write in the current directory: %w", err)
		}
		return nil
	}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("cannot write %s: it is a directory", path)
		}
		if !force {
			return fmt.Errorf("%s exists: give --force to overwrite it", path)
		}
	}
	if err := checkDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// checkDir checks that dir is a directory a file can be created in, by
// creating (and removing) one.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no directory %s", dir)
	case errors.Is(err, syscall.ENOTDIR) || err == nil && !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case err != nil:
		return err
	}
	f, err := os.CreateTemp(dir, ".userport-check-*")
	if err != nil {
		return fmt.Errorf("the directory %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// WriteExport streams the file of the completed export job to w (standard
// output, say): gzip'd as served, or gunzip'd when gunzip is set, the whole
// gzip stream checked. Unlike DownloadExport it cannot take back what it
// wrote: a broken stream is an error after part of the file went out. The
// Saved's Path is Stdout. With a manifest m, the bytes received are
// checked against it (a mismatch is an error, after the file went out).
func (c *Client) WriteExport(ctx context.Context, job *Job, m *userport.ExportManifest, w io.Writer, gunzip bool, progress func(done, total int64)) (*Saved, error) {
	body, r, err := c.openExport(ctx, job, progress)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	cw := &countio.Writer{W: w}
	got, err := copyExport(cw, r, job.Format, gunzip)
	if err == nil {
		err = checkManifest(m, got)
	}
	if err != nil {
		return nil, fmt.Errorf("download the export of job %s: %w", job.ID, err)
	}
	return &Saved{Path: Stdout, Rows: got.rows, Bytes: cw.N, Received: got.received, SHA256: got.sha256, Resumed: body.resumed}, nil
}
