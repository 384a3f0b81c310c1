package seed_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/userport/userport"
	"github.com/userport/userport/seed"
)

var (
	testConn  = &userport.Connection{Tenant: "dev", ID: "con_0123456789ABCDEF", Name: userport.DefaultConnectionName, Strategy: "auth0"}
	testStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
)

func newGen(seedValue int64) *seed.Generator {
	return seed.New(seedValue, "dev", testConn, testStart)
}

func generate(g *seed.Generator, n int) []*userport.User {
	users := make([]*userport.User, n)
	for i := range users {
		users[i] = g.Next()
	}
	return users
}

func sameUser(t *testing.T, i int, got, want *userport.User) {
	t.Helper()
	if !bytes.Equal(got.Doc, want.Doc) {
		t.Fatalf("user %d: doc\n%s\nwant\n%s", i, got.Doc, want.Doc)
	}
	if got.Tenant != want.Tenant || got.UserID != want.UserID || got.ConnectionID != want.ConnectionID ||
		got.Email != want.Email || got.Username != want.Username || got.PasswordHash != want.PasswordHash {
		t.Fatalf("user %d: got %+v, want %+v", i, got, want)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("user %d: times %v %v, want %v %v", i, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := generate(newGen(7), 5000), generate(newGen(7), 5000)
	for i := range a {
		sameUser(t, i, a[i], b[i])
	}
	other := newGen(8).Next()
	if bytes.Equal(other.Doc, a[0].Doc) {
		t.Fatalf("seeds 7 and 8 made the same first user")
	}
}

// TestMatchesUserFromProfile checks the fast encoder against the reference:
// userport.UserFromProfile of the profile that a twin generator returns.
func TestMatchesUserFromProfile(t *testing.T) {
	fast, twin := newGen(3), newGen(3)
	for i := range 30000 {
		want, err := userport.UserFromProfile("dev", testConn.ID, "", twin.Profile())
		if err != nil {
			t.Fatal(err)
		}
		sameUser(t, i, fast.Next(), want)
	}
}

func TestFillReusesMemory(t *testing.T) {
	g, twin := newGen(5), newGen(5)
	batch := make([]*userport.User, 100)
	for round := range 3 {
		first := batch[0]
		var doc *byte
		docCap := 0
		if first != nil {
			doc, docCap = &first.Doc[:1][0], cap(first.Doc)
		}
		g.Fill(batch)
		for i, u := range batch {
			sameUser(t, round*len(batch)+i, u, twin.Next())
		}
		if first != nil && batch[0] != first {
			t.Errorf("round %d: Fill replaced the user instead of reusing it", round)
		}
		if first != nil && len(batch[0].Doc) <= docCap && &batch[0].Doc[0] != doc {
			t.Errorf("round %d: Fill allocated a document although the old one was large enough", round)
		}
	}
}

var userIDPattern = regexp.MustCompile(`^auth0\|[0-9a-f]{24}$`)

func TestUniqueGrowingIDs(t *testing.T) {
	const n = 100_000
	g := newGen(1)
	emails := make(map[string]bool, n)
	usernames := make(map[string]bool, n)
	prev := ""
	for i := range n {
		u := g.Next()
		if !userIDPattern.MatchString(u.UserID) {
			t.Fatalf("user %d: user_id %q", i, u.UserID)
		}
		if u.UserID <= prev {
			t.Fatalf("user %d: user_id %q does not grow after %q", i, u.UserID, prev)
		}
		prev = u.UserID
		secs, _ := strconv.ParseUint(u.UserID[6:14], 16, 32)
		if int64(secs) != u.CreatedAt.Unix() {
			t.Fatalf("user %d: user_id %q does not start with created_at %v", i, u.UserID, u.CreatedAt)
		}
		if u.Email != strings.ToLower(u.Email) || emails[u.Email] {
			t.Fatalf("user %d: email %q not lower-case or repeated", i, u.Email)
		}
		emails[u.Email] = true
		if u.Username != "" && (usernames[u.Username] || len(u.Username) > 15) {
			t.Fatalf("user %d: username %q repeated or longer than 15", i, u.Username)
		}
		usernames[u.Username] = true
	}
}

func TestSeedsDoNotCollide(t *testing.T) {
	seen := make(map[string]int64)
	for _, s := range []int64{1, 2, 3, 1 << 24 / 2, -1} {
		for _, u := range generate(newGen(s), 20000) {
			for _, key := range []string{u.UserID, u.Email, "username:" + u.Username} {
				if key == "username:" {
					continue
				}
				if other, ok := seen[key]; ok {
					t.Fatalf("seed %d repeats %q of seed %d", s, key, other)
				}
				seen[key] = s
			}
		}
	}
}

func TestDocsAreProfiles(t *testing.T) {
	g := newGen(11)
	for i := range 20000 {
		u := g.Next()
		var p userport.Profile
		dec := json.NewDecoder(bytes.NewReader(u.Doc))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("user %d: %v\n%s", i, err, u.Doc)
		}
		checkProfile(t, i, u, &p)
	}
}

func checkProfile(t *testing.T, i int, u *userport.User, p *userport.Profile) {
	t.Helper()
	if p.UserID != u.UserID || p.Email != u.Email || p.Username != u.Username {
		t.Fatalf("user %d: profile %q %q %q, user %q %q %q", i, p.UserID, p.Email, p.Username, u.UserID, u.Email, u.Username)
	}
	want := userport.Identity{Connection: testConn.Name, Provider: "auth0", UserID: u.UserID[6:]}
	if len(p.Identities) == 0 || p.Identities[0] != want {
		t.Fatalf("user %d: identities %+v, want first %+v", i, p.Identities, want)
	}
	if len(p.Identities) == 2 && !p.Identities[1].IsSocial {
		t.Fatalf("user %d: second identity %+v is not social", i, p.Identities[1])
	}
	if p.CreatedAt != userport.FormatTime(u.CreatedAt) || p.UpdatedAt != userport.FormatTime(u.UpdatedAt) {
		t.Fatalf("user %d: times %q %q, user %v %v", i, p.CreatedAt, p.UpdatedAt, u.CreatedAt, u.UpdatedAt)
	}
	if p.LastLogin != "" && (p.LastLogin < p.CreatedAt || p.LastIP == "") {
		t.Fatalf("user %d: last_login %q before created_at %q, or no last_ip", i, p.LastLogin, p.CreatedAt)
	}
	for _, m := range []json.RawMessage{p.UserMetadata, p.AppMetadata} {
		var obj map[string]any
		if len(m) > 0 && json.Unmarshal(m, &obj) != nil {
			t.Fatalf("user %d: metadata %s is not an object", i, m)
		}
	}
}

// formulaPattern finds texts that spreadsheets would take for a formula.
var formulaPattern = regexp.MustCompile(`"(nickname|bio)":"[=+\-@]`)

// variety counts what a sample of users holds.
type variety struct {
	users, bytes                             int
	nonASCII, comma, quote, newline, formula int
	social, noUsername, phone, consent       int
	blocked, stripe, noUserMetadata, roles   int
}

func (v *variety) add(u *userport.User) {
	var p struct {
		userport.Profile
		UserMetadata struct {
			Consent *struct {
				Given       *bool  `json:"given"`
				Date        string `json:"date"`
				TextDetails string `json:"text_details"`
			} `json:"consent"`
		} `json:"user_metadata"`
	}
	_ = json.Unmarshal(u.Doc, &p)
	v.users++
	v.bytes += len(u.Doc)
	v.nonASCII += b2i(strings.IndexFunc(p.Name, func(r rune) bool { return r > unicode.MaxASCII }) >= 0)
	v.comma += b2i(strings.Contains(p.Name, ","))
	v.quote += b2i(strings.Contains(string(u.Doc), `\"`))
	v.newline += b2i(strings.Contains(string(u.Doc), `\n`))
	v.formula += b2i(formulaPattern.Match(u.Doc))
	v.social += b2i(len(p.Identities) > 1)
	v.noUsername += b2i(p.Username == "")
	v.phone += b2i(p.PhoneNumber != "")
	c := p.UserMetadata.Consent
	v.consent += b2i(c != nil && c.Given != nil && len(c.Date) == len("2006-01-02") && c.TextDetails != "")
	v.blocked += b2i(p.Blocked != nil && *p.Blocked)
	v.stripe += b2i(bytes.Contains(u.Doc, []byte(`"stripe":[{"customer_id":"cus_`)))
	v.noUserMetadata += b2i(!bytes.Contains(u.Doc, []byte(`"user_metadata"`)))
	v.roles += b2i(bytes.Contains(u.Doc, []byte(`"roles":["`)))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestVariety(t *testing.T) {
	var v variety
	g := newGen(42)
	for range 20000 {
		v.add(g.Next())
	}
	pct := func(n int) float64 { return 100 * float64(n) / float64(v.users) }
	tests := []struct {
		what     string
		n        int
		min, max float64 // percent of the users
	}{
		{"non-ASCII names", v.nonASCII, 30, 70},
		{"names with a comma", v.comma, 1, 10},
		{"values with a double quote", v.quote, 1, 20},
		{"values with a newline", v.newline, 0.5, 10},
		{"values starting with = + - @", v.formula, 0.5, 10},
		{"second identities", v.social, 7, 13},
		{"no username", v.noUsername, 30, 50},
		{"phone numbers", v.phone, 25, 45},
		{"consent", v.consent, 70, 85},
		{"blocked", v.blocked, 0.5, 5},
		{"Stripe customers", v.stripe, 25, 50},
		{"no user_metadata", v.noUserMetadata, 4, 12},
		{"roles", v.roles, 50, 80},
	}
	for _, tt := range tests {
		got := pct(tt.n)
		t.Logf("%s: %.1f%%", tt.what, got)
		if got < tt.min || got > tt.max {
			t.Errorf("%s: %.1f%% of the users, want %.1f%% to %.1f%%", tt.what, got, tt.min, tt.max)
		}
	}
	mean := v.bytes / v.users
	t.Logf("mean document size: %d bytes", mean)
	if mean < 850 || mean > 950 {
		t.Errorf("mean document size %d bytes, want 850 to 950", mean)
	}
}

func TestMeanInterval(t *testing.T) {
	const n = 10000
	users := generate(newGen(9), n)
	first, last := users[0].CreatedAt, users[n-1].CreatedAt
	if first.Before(testStart) || first.After(testStart.Add(2*seed.MeanInterval)) {
		t.Errorf("first user created at %v, want just after %v", first, testStart)
	}
	mean := last.Sub(testStart) / n
	if mean < seed.MeanInterval*9/10 || mean > seed.MeanInterval*11/10 {
		t.Errorf("mean interval %v, want about %v", mean, seed.MeanInterval)
	}
}

// BenchmarkGenerate measures Next; the `userport seed` command needs well over
// 50,000 users/s end to end, so the generator alone should make >= 300,000.
func BenchmarkGenerate(b *testing.B) {
	g := newGen(1)
	size := 0
	for b.Loop() {
		size += len(g.Next().Doc)
	}
	b.ReportMetric(float64(size)/float64(b.N), "docbytes/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
}

// BenchmarkFill measures Fill, which reuses the users and their documents.
func BenchmarkFill(b *testing.B) {
	g := newGen(1)
	batch := make([]*userport.User, 1000)
	for b.Loop() {
		g.Fill(batch)
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "users/s")
}
