package httpapi_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleImportNewIDs: the import form's "new id" checkbox sends
// new_ids, so users whose ids exist in another connection are inserted with
// new ones (issue 25, case 11).
func TestConsoleImportNewIDs(t *testing.T) {
	t.Parallel()
	b := consoleSetup(t)
	b.work(nil)
	ids := b.putUsers(b.connection(upa), 0, 2)
	conn := b.createConnection("copies")
	file := filepath.Join(t.TempDir(), "users.ndjson")
	must(t, os.WriteFile(file, imNDJSON(`{"email":"user0@example.com","user_id":"`+ids[0]+`"}`,
		`{"email":"user1@example.com","user_id":"`+ids[1]+`"}`), 0o600))
	p := newBrowser(t, 1280, 1000)
	consoleSignIn(t, p, b)
	p.run("upload the import with new ids", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}),
		chromedp.SetValue(chromedp.CSS("#import-connection"), conn), chromedp.Click(chromedp.CSS("#import-new-ids")),
		chromedp.Click(chromedp.CSS("#import-submit")))
	done := `#import-result li.job[data-status="completed"]`
	p.run("wait for the import", chromedp.WaitVisible(chromedp.CSS(done)))
	for key, want := range map[string]string{"total": "2", "inserted": "2", "failed": "0"} {
		if got := p.text(done + ` dd[data-key=` + key + `]`); got != want {
			t.Errorf("summary %s = %q, want %q", key, got, want)
		}
	}
}
