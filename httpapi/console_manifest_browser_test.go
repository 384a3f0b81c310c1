package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/userport/userport"
)

// TestConsoleFilterAndManifest: the export form's filter box sends q (a bad
// query shows the server's 400); a finished export's card shows its
// manifest: rows, tombstones, bytes and sha256, filter, the cursor
// (copied by its button) and the field counts, a field no user had marked.
func TestConsoleFilterAndManifest(t *testing.T) {
	t.Parallel()
	b := consoleSetup(t)
	b.work(nil)
	b.putUsers(b.connection(upa), 0, 10)
	p := newBrowser(t, 1280, 1000)
	consoleSignIn(t, p, b)

	p.run("export with a bad filter", chromedp.SendKeys(chromedp.CSS("#export-q"), "email:("),
		chromedp.Click(chromedp.CSS("#export-submit")), chromedp.WaitVisible(chromedp.CSS("#export-error")))
	if got := p.text("#export-error"); !strings.HasPrefix(got, "400 Bad Request: ") || !strings.Contains(got, "position") {
		t.Errorf("after a bad filter the page says %q, want the server's 400 with the position", got)
	}

	const q = `email:"user3@example.com" OR email:"user4@example.com"`
	p.run("export with a filter", chromedp.SetValue(chromedp.CSS("#export-q"), q), chromedp.Click(chromedp.CSS("#export-submit")))
	p.waitJS("the export's job id", `/job_/.test(document.getElementById('export-status').textContent)`)
	id := jobIDIn(p.text("#export-status"))
	card := jobSelector("#jobs-list", id, "completed")
	p.run("wait for the manifest", chromedp.WaitVisible(chromedp.CSS(card+` .manifest input.cursor`)))

	var m userport.ExportManifest
	b.admin(http.MethodGet, "/jobs/"+id+"/manifest", nil).decode(t, &m)
	if m.Cursor == nil || m.Q == nil || *m.Q != q {
		t.Fatalf("the API's manifest: %+v", m)
	}
	for sel, want := range map[string]string{
		card + ` .manifest dd[data-key=rows]`:           "2",
		card + ` .manifest dd[data-key=tombstones]`:     "0",
		card + ` .manifest dd[data-key=bytes]`:          grouped(m.Bytes),
		card + ` .manifest code[data-key=sha256]`:       m.SHA256,
		card + ` .manifest code[data-key=q]`:            q,
		card + ` .manifest tr[data-field=email] td.num`: "2",
	} {
		if got := p.text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	cursor := value(p, "read the cursor", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).value`, card+` .manifest input.cursor`)))
	if cursor != *m.Cursor {
		t.Errorf("the page shows the cursor %q, the manifest says %q", cursor, *m.Cursor)
	}
	// The seeded users have no name: its column is empty, and marked.
	if n := value(p, "count the empty fields", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`,
		card+` .manifest tr.empty[data-field=name]`))); n != 1 {
		t.Errorf("the field name, which no user had, is not marked empty")
	}

	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(p.ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: b.base}); err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	p.run("copy the cursor", chromedp.Click(chromedp.CSS(card+` .manifest .copy button`)))
	p.waitJS("the copy's status", fmt.Sprintf(`document.querySelector(%q).textContent === 'Copied.'`, card+` .manifest .cursor-row [role=status]`))
	copied := value(p, "read the clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if copied != *m.Cursor {
		t.Errorf("the clipboard holds %q, want the cursor %q", copied, *m.Cursor)
	}
	if r := p.report(); r != "" {
		t.Errorf("the page reported problems:%s", r)
	}
}

// grouped is n as the console shows numbers: digits in groups of three,
// separated by commas (toLocaleString('en')).
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
