package progress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/client"
)

// CheckOutput checks, before an export job is created, that its file can
// be written to out (client.CheckOutput), and that -o - would not send
// gzip to a terminal.
func CheckOutput(out string, force, gunzip bool, stdout io.Writer) error {
	if out == client.Stdout && !gunzip && IsTerminal(stdout) {
		return errors.New("-o - would write gzip to the terminal: pipe it, or add --gunzip")
	}
	return client.CheckOutput(out, force)
}

// Export creates the export and follows it to its end, showing its
// progress on w; it returns the completed job.
func Export(ctx context.Context, c *client.Client, req client.ExportRequest, poll time.Duration, w io.Writer) (*client.Job, error) {
	job, err := c.CreateExport(ctx, req)
	if err != nil {
		return nil, err
	}
	p := NewJob(w, job)
	if job, err = c.Wait(ctx, job.ID, poll, p.Show); err != nil {
		return nil, err
	}
	if job.Status != "completed" {
		return nil, fmt.Errorf("export job %s is %s: %s", job.ID, job.Status, job.StatusDetails)
	}
	return job, nil
}

// Output is where an export's file goes: a path, or Stdout when the path
// is client.Stdout; gunzip'd or not. With the export's Manifest, the bytes
// received are checked against it.
type Output struct {
	Path     string
	Stdout   io.Writer
	Gunzip   bool
	Manifest *userport.ExportManifest // nil: no check (a server without manifests)
}

// Download writes the completed job's file to out, with a bar on w, and
// prints on w where the download resumed, if its connection broke, and what
// was written since start.
func Download(ctx context.Context, c *client.Client, job *client.Job, out Output, start time.Time, w io.Writer) error {
	name := out.Path
	if name == client.Stdout {
		name = "standard output"
	}
	onBytes, finish := Bytes(w, "downloading "+name)
	saved, err := out.save(ctx, c, job, onBytes)
	finish()
	if err != nil {
		return err
	}
	for _, at := range saved.Resumed {
		fmt.Fprintf(w, "the connection broke at byte %d of %d: the download resumed there\n", at, saved.Received)
	}
	what := fmt.Sprintf("%d users", saved.Rows)
	if m := out.Manifest; m != nil && saved.Rows < 0 { // a Parquet file: its rows are the manifest's
		what = fmt.Sprintf("%d users", m.Rows)
	}
	if m := out.Manifest; m != nil && m.Tombstones > 0 { // the file's lines: the users, then the tombstones
		what = fmt.Sprintf("%d users and %d tombstones", m.Rows, m.Tombstones)
	}
	_, err = fmt.Fprintf(w, "exported %s to %s: %d bytes in %.2fs (job %s)\n",
		what, name, saved.Bytes, time.Since(start).Seconds(), job.ID)
	return err
}

// save writes job's file to out, reporting the bytes received to onBytes.
func (out Output) save(ctx context.Context, c *client.Client, job *client.Job, onBytes func(done, total int64)) (*client.Saved, error) {
	if out.Path == client.Stdout {
		return c.WriteExport(ctx, job, out.Manifest, out.Stdout, out.Gunzip, onBytes)
	}
	return c.DownloadChecked(ctx, job, out.Manifest, out.Path, out.Gunzip, onBytes)
}

// Import uploads the file at path (- for standard input), with a bar on
// w, and follows the import job to its end.
func Import(ctx context.Context, c *client.Client, path string, req client.ImportRequest, poll time.Duration, w io.Writer) (*client.Job, error) {
	f, err := openImport(path, &req)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	onSent, finish := Bytes(w, "uploading "+req.FileName)
	switch {
	case req.Size < 0:
		fmt.Fprintf(w, "uploading %s\n", req.FileName)
	case onSent != nil:
		req.Progress = func(sent int64) { onSent(sent, req.Size) }
	default:
		fmt.Fprintf(w, "uploading %s: %d bytes\n", req.FileName, req.Size)
	}
	job, err := c.CreateImport(ctx, req)
	finish()
	if err != nil {
		return nil, err
	}
	p := NewJob(w, job)
	return c.Wait(ctx, job.ID, poll, p.Show)
}

// openImport opens the file to import, path or standard input for "-", and
// sets req's file, its name and size (-1 for standard input: unknown).
func openImport(path string, req *client.ImportRequest) (io.Closer, error) {
	if path == "-" {
		if IsTerminal(os.Stdin) {
			return nil, errors.New("import -: standard input is a terminal; pipe a file in (userport export -o - ... | userport import - ...)")
		}
		req.File, req.FileName, req.Size = os.Stdin, "stdin", -1
		return io.NopCloser(nil), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	req.File, req.FileName, req.Size = f, filepath.Base(path), st.Size()
	return f, nil
}
