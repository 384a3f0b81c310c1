package httpapi_test

// The web console in a real browser: Chromium, headless, driven by chromedp
// over the DevTools protocol, against the harness's server (setup) with the
// console (console.New) mounted and the job workers running.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/userport/userport"
	"github.com/userport/userport/console"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/s3test"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/s3blob"
)

// chromiumPath returns the browser the console tests drive: the one named by
// USERPORT_TEST_CHROMIUM (CI sets it, so there the test cannot skip), else
// chromium (Debian's package) or Chrome on the PATH. Without one the test
// skips and says so.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("USERPORT_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no browser for the console test: install Debian's chromium (apt-get install chromium) or set USERPORT_TEST_CHROMIUM to a Chromium or Chrome binary")
	return ""
}

// browserPage is a headless Chromium tab and what it reported.
type browserPage struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []string       // exceptions, console errors, CSP violations
	download chan [2]string // (guid, suggested file name) of each finished download
	names    map[string]string
}

// newBrowser starts Chromium on a fresh profile, headless, with a window of
// width x height; it stops when the test ends.
func newBrowser(t *testing.T, width, height int) *browserPage {
	t.Helper()
	// As root (CI, containers) Chromium needs --no-sandbox. Without the
	// background-networking flags it keeps calling Google's services, which
	// on a closed network means a stream of refused connections.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	p := &browserPage{t: t, ctx: ctx, download: make(chan [2]string, 4), names: map[string]string{}}
	if err := chromedp.Listen(ctx, p.listen); err != nil {
		t.Fatalf("start %s: %v", chromiumPath(t), err)
	}
	if err := chromedp.ListenBrowser(ctx, p.listen); err != nil {
		t.Fatalf("listen to the browser: %v", err)
	}
	return p
}

// listen records what the page reports: problems, and downloads.
func (p *browserPage) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p.problems = append(p.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			p.problems = append(p.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *cdplog.EventEntryAdded:
		// A refused request (the wrong secret's 401) is logged by the
		// browser as a network error; the page shows those itself.
		bad := ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning
		if bad && ev.Entry.Source != cdplog.EntrySourceNetwork {
			p.problems = append(p.problems, fmt.Sprintf("%s %s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
		}
	case *browser.EventDownloadWillBegin:
		p.names[ev.GUID] = ev.SuggestedFilename
	case *browser.EventDownloadProgress:
		if ev.State == browser.DownloadProgressStateCompleted {
			p.download <- [2]string{ev.GUID, p.names[ev.GUID]}
		}
	}
}

// stepTimeout bounds each step of a console test.
const stepTimeout = 90 * time.Second

// run runs actions, failing the test on an error.
func (p *browserPage) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	value(p, what, chromedp.Steps(actions...))
}

// value runs an action that returns a value, failing the test on an error
// with what the page shows.
func value[T any](p *browserPage, what string, action chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		p.t.Fatalf("%s: %v%s\nthe page shows:\n%s", what, err, p.report(), p.shows())
	}
	return v
}

// shows returns the text the page shows, for a failure message.
func (p *browserPage) shows() string {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return err.Error()
	}
	return s
}

// report is what the page said, for a failure message.
func (p *browserPage) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.problems) == 0 {
		return ""
	}
	return "\nthe page reported:\n  " + strings.Join(p.problems, "\n  ")
}

// text returns the text of the first node matching sel.
func (p *browserPage) text(sel string) string {
	p.t.Helper()
	return value(p, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// waitJS waits until the JavaScript expression is true.
func (p *browserPage) waitJS(what, expr string) {
	p.t.Helper()
	value(p, "wait for "+what, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout)))
}

// jobSelector is the CSS selector of the card of job id in status, under scope.
func jobSelector(scope, id, status string) string {
	return fmt.Sprintf(`%s li.job[data-id=%q][data-status=%q]`, scope, id, status)
}

// consoleSetup is setup with the console mounted, edit (if any) applied
// after; the job workers run.
func consoleSetup(t *testing.T, edit ...func(*httpapi.Server)) *env {
	t.Helper()
	chromiumPath(t)
	c, err := console.New()
	must(t, err)
	e := setup(t, append([]func(*httpapi.Server){func(s *httpapi.Server) { s.Console = c }}, edit...)...)
	return e
}

// jobIDIn returns the first job id in s (the page's status line).
func jobIDIn(s string) string { return jobIDInText.FindString(s) }

// jobIDInText is exJobIDPattern anywhere in a text.
var jobIDInText = regexp.MustCompile(strings.Trim(exJobIDPattern.String(), "^$"))

// TestConsoleInBrowser walks the sign-in form with Tab, signs in (by
// keyboard, after a refused secret), reads
// the connections' user counts, sees a job started by another client,
// exports the seeded users as CSV, waits for
// the job, downloads its file and checks every row, then uploads an import
// with a bad user and reads its summary and errors; at a phone's width the
// page does not overflow.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	const n = 300
	b := consoleSetup(t)
	b.work(nil)
	b.seed(n)
	importConn := b.createConnection("console-imports")
	p := newBrowser(t, 1280, 1000)

	consoleSignIn(t, p, b)
	p.waitJS("the user counts", fmt.Sprintf(`document.getElementById('users-total').textContent === '%d' &&
		document.querySelector('tr[data-connection="console-imports"] td.num').textContent === '0' &&
		document.querySelector('tr[data-connection="%s"] td.num').textContent === '%d'`, n, upa, n))

	// A job the page did not start shows up too (GET /api/v2/jobs).
	other := b.exCreate(`{"format":"json","limit":5}`)
	p.run("see a job started elsewhere", chromedp.WaitVisible(chromedp.CSS(jobSelector("#jobs-list", other.ID, "completed"))))

	id := consoleExport(t, p)
	data := consoleDownload(t, p, id)
	if name := data.name; name != "dev.csv.gz" {
		t.Errorf("downloaded as %q, want dev.csv.gz", name)
	}
	testutil.CheckStoreCSV(t, b.Store, tenant, testutil.Gunzip(t, data.body), n)
	// A Parquet export (a userport extension) is saved as it is served.
	pq := consoleDownload(t, p, consoleExportAs(t, p, "parquet"))
	if pq.name != "dev.parquet" || !bytes.HasPrefix(pq.body, []byte("PAR1")) || !bytes.HasSuffix(pq.body, []byte("PAR1")) {
		t.Errorf("the Parquet export was downloaded as %q, %d bytes; want dev.parquet, a Parquet file", pq.name, len(pq.body))
	}

	consoleImport(t, p, importConn)
	if ids, _ := b.docs(importConn); len(ids) != 2 {
		t.Errorf("%d users in the import's connection, want 2", len(ids))
	}

	stored := value(p, "read the browser's storage", chromedp.Evaluate[string](
		`String(localStorage.length + sessionStorage.length) + ' ' + JSON.stringify(document.cookie)`))
	if stored != `0 ""` {
		t.Errorf("the page stored something in the browser: storage items and cookies %s", stored)
	}
	// On a phone's width nothing sticks out sideways (wide tables scroll
	// inside their own box).
	p.run("narrow the window", chromedp.EmulateViewport(360, 780))
	if w := value(p, "measure the page", chromedp.Evaluate[string](
		`document.documentElement.scrollWidth + ' > ' + window.innerWidth`)); w != "360 > 360" {
		t.Errorf("at 360 px the page is wider than the window: %s", w)
	}
	if r := p.report(); r != "" {
		t.Errorf("the page reported problems:%s", r)
	}
}

// consoleTabOrder checks that Tab walks the sign-in form in reading order
// and that the focused control shows a focus ring.
func consoleTabOrder(t *testing.T, p *browserPage) {
	t.Helper()
	var order []string
	for range 4 {
		p.run("press Tab", chromedp.KeyEvent("\t"))
		order = append(order, value(p, "read the focus", chromedp.Evaluate[string](
			`(document.activeElement.id || document.activeElement.className) + ':' + getComputedStyle(document.activeElement).outlineStyle`)))
	}
	want := []string{"skip:solid", "client-id:solid", "client-secret:solid", "signin-submit:solid"}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("Tab order and focus outline: %v, want %v", order, want)
	}
}

// consoleSignIn tries a wrong secret, sees the token endpoint's error, then
// signs in with the keyboard only.
func consoleSignIn(t *testing.T, p *browserPage, b *env) {
	t.Helper()
	p.run("open the console", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#client-id")))
	consoleTabOrder(t, p)
	p.run("try a wrong secret",
		chromedp.SendKeys(chromedp.CSS("#client-id"), adminID), chromedp.SendKeys(chromedp.CSS("#client-secret"), "not-the-secret"),
		chromedp.Click(chromedp.CSS("#signin-submit")), chromedp.WaitVisible(chromedp.CSS("#signin-error")))
	if got := p.text("#signin-error"); !strings.HasPrefix(got, "401 access_denied") {
		t.Errorf("after a wrong secret the page says %q, want the 401 access_denied answer", got)
	}
	// Select the wrong secret, type the right one over it, press Enter.
	p.run("sign in by keyboard", chromedp.Focus(chromedp.CSS("#client-secret")),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent(adminSecret), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#app")))
	if got := p.text("#whoami"); !strings.Contains(got, adminID) {
		t.Errorf("whoami = %q, want the client id", got)
	}
}

// consoleExport starts a CSV export of every user with the default fields
// and returns its job id once the page shows it completed.
func consoleExport(t *testing.T, p *browserPage) string {
	t.Helper()
	return consoleExportAs(t, p, "csv")
}

// consoleExportAs is consoleExport in format.
func consoleExportAs(t *testing.T, p *browserPage, format string) string {
	t.Helper()
	// The status line may still name an earlier export: wait for another.
	before := value(p, "read the status line", chromedp.Evaluate[string](`document.getElementById('export-status').textContent`))
	p.run("start the export", chromedp.Click(chromedp.CSS(`input[name=format][value=`+format+`]`)), chromedp.Click(chromedp.CSS("#export-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#export-status`)))
	p.waitJS("the export's job id", fmt.Sprintf(`(() => { const s = document.getElementById('export-status').textContent;
		return /job_/.test(s) && s !== %q })()`, before))
	id := jobIDIn(p.text("#export-status"))
	p.run("wait for the export to complete", chromedp.WaitVisible(chromedp.CSS(jobSelector("#jobs-list", id, "completed")+` button`)))
	return id
}

// downloaded is a file the browser saved.
type downloaded struct {
	name string
	body []byte
}

// consoleDownload clicks the Download button of job id and returns the file
// the browser saved.
func consoleDownload(t *testing.T, p *browserPage, id string) downloaded {
	t.Helper()
	dir := t.TempDir()
	events := true
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	p.run("click Download", chromedp.Click(chromedp.CSS(jobSelector("#jobs-list", id, "completed")+` button:not([hidden])`)))
	select {
	case d := <-p.download:
		body, err := os.ReadFile(filepath.Join(dir, d[0]))
		if err != nil {
			t.Fatal(err)
		}
		return downloaded{name: d[1], body: body}
	case <-p.ctx.Done():
		t.Fatalf("no download finished: %v%s", p.ctx.Err(), p.report())
	case <-time.After(stepTimeout):
		t.Fatalf("no download finished within %v%s", stepTimeout, p.report())
	}
	return downloaded{}
}

// consoleImport uploads two good users and a bad one (whose email is an
// HTML tag) into conn and checks
// the summary and the error table the page shows.
func consoleImport(t *testing.T, p *browserPage, conn string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "users.ndjson")
	must(t, os.WriteFile(file, imNDJSON(`{"email":"ann@example.com","name":"Ann"}`, `{"email":"<img src=x onerror=alert(1)>"}`,
		`{"email":"bob@example.com"}`), 0o600))
	p.run("upload the import", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}),
		chromedp.SetValue(chromedp.CSS("#import-connection"), conn), chromedp.Click(chromedp.CSS("#import-submit")))
	done := `#import-result li.job[data-status="completed"]`
	p.run("wait for the import", chromedp.WaitVisible(chromedp.CSS(done)), chromedp.WaitVisible(chromedp.CSS(done)+` table.errors tbody tr`))
	for key, want := range map[string]string{"total": "3", "inserted": "2", "updated": "0", "failed": "1"} {
		if got := p.text(done + ` dd[data-key=` + key + `]`); got != want {
			t.Errorf("summary %s = %q, want %q", key, got, want)
		}
	}
	// The bad user's email is markup: the page shows it as text.
	row := p.text(done + ` table.errors tbody tr`)
	if !strings.Contains(row, "<img src=x onerror=alert(1)>") {
		t.Errorf("the error row %q does not show the bad user's email as text", row)
	}
	if imgs := value(p, "count images", chromedp.Evaluate[int](`document.querySelectorAll('main img').length`)); imgs != 0 {
		t.Errorf("%d images in the page: the bad user's email became markup", imgs)
	}
}

// TestConsoleScreenshots writes the README's pictures of the console into the
// directory named by USERPORT_CONSOLE_SCREENSHOTS (docs/ from the repository
// root: USERPORT_CONSOLE_SCREENSHOTS=$PWD/docs): an export of 500,000 seeded
// users while it runs and once it is done, and the same page on a phone's
// width. Seeding takes a minute or two; CI does not set the variable.
func TestConsoleScreenshots(t *testing.T) {
	dir := os.Getenv("USERPORT_CONSOLE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set USERPORT_CONSOLE_SCREENSHOTS to a directory (e.g. $PWD/docs) to write the console's screenshots")
	}
	const n = 500_000
	// The system clock, so that the job's time left is a real estimate.
	b := consoleSetup(t, func(s *httpapi.Server) { s.Clock = userport.SystemClock{} })
	b.work(func(_ *jobs.Config, deps *jobs.Deps) { deps.Clock = userport.SystemClock{} })
	b.seed(n)
	p := newBrowser(t, 1280, 900)
	consoleSignIn(t, p, b)
	p.waitJS("the user count", fmt.Sprintf(`document.getElementById('users-total').textContent === '%s'`, "500,000"))
	p.run("start a JSON export", chromedp.Click(chromedp.CSS(`input[name=format][value=json]`)),
		chromedp.Click(chromedp.CSS("#export-submit")))
	p.waitJS("the export's job id", `/job_/.test(document.getElementById('export-status').textContent)`)
	id := jobIDIn(p.text("#export-status"))
	card := jobSelector("#jobs-list", id, "processing")
	p.waitJS("the export's progress", fmt.Sprintf(`(() => { const c = document.querySelector(%q);
		return c !== null && c.querySelector('progress').value >= 25 })()`, card))
	shot(t, p, filepath.Join(dir, "console-running.png"))
	p.run("wait for the export to complete", chromedp.WaitVisible(chromedp.CSS(jobSelector("#jobs-list", id, "completed"))))
	shot(t, p, filepath.Join(dir, "console-finished.png"))
	p.run("narrow the window", chromedp.EmulateViewport(390, 844))
	shot(t, p, filepath.Join(dir, "console-narrow.png"))
}

// shot writes a PNG of the whole page to file.
func shot(t *testing.T, p *browserPage, file string) {
	t.Helper()
	png := value(p, "take a screenshot", chromedp.FullScreenshot(100))
	must(t, os.WriteFile(file, png, 0o644))
	t.Logf("wrote %s (%d bytes)", file, len(png))
}

// TestConsoleDownloadFromS3 downloads an export whose location is an S3
// presigned link, another origin than the console's: the page follows it as
// a plain link (a navigation, which the Content-Security-Policy's
// connect-src does not govern) and the browser saves the file.
func TestConsoleDownloadFromS3(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	endpoint := s3test.S3Endpoint(t)
	bucket := s3test.NewBucket(t, s3test.S3Client(t, endpoint))
	files, err := s3blob.Open(t.Context(), "s3://"+bucket+"/exports/", s3blob.Options{Endpoint: endpoint})
	must(t, err)
	const n = 120
	// The files on S3, as `serve` with USERPORT_BLOB_URL keeps them: its
	// presigned links are fetched from S3, not from the server.
	b := consoleSetup(t, func(s *httpapi.Server) { s.Blobs, s.Downloads = files, nil })
	b.work(func(_ *jobs.Config, deps *jobs.Deps) { deps.Blobs = files })
	b.seed(n)
	p := newBrowser(t, 1280, 1000)
	consoleSignIn(t, p, b)
	id := consoleExport(t, p)
	if loc := b.completed(id).Location; !strings.HasPrefix(loc, endpoint+"/") {
		t.Fatalf("location %s is not on the S3 endpoint %s", loc, endpoint)
	}
	data := consoleDownload(t, p, id)
	testutil.CheckStoreCSV(t, b.Store, tenant, testutil.Gunzip(t, data.body), n)
	if url := value(p, "read the page's address", chromedp.Location()); url != b.base+"/" {
		t.Errorf("after the download the tab shows %s, want the console", url)
	}
	if r := p.report(); r != "" {
		t.Errorf("the page reported problems:%s", r)
	}
}
