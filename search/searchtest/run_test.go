package searchtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/internal/testutil"
	"github.com/userport/userport/internal/testutil/pgtest"
	"github.com/userport/userport/search"
	"github.com/userport/userport/seed"
)

// user is a seeded user decoded with encoding/json, for the plain filters
// the searches are checked against.
type user struct {
	id  string
	doc []byte
	m   map[string]any
}

// get follows keys through objects (not arrays).
func (u user) get(keys ...string) any {
	var v any = u.m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func (u user) str(keys ...string) string { s, _ := u.get(keys...).(string); return s }

func (u user) num(key string) (float64, bool) { f, ok := u.get(key).(float64); return f, ok }

func (u user) time(key string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, u.str(key))
	return t, err == nil
}

// has reports whether an array of u (or a value) holds s.
func (u user) has(s string, keys ...string) bool {
	switch v := u.get(keys...).(type) {
	case []any:
		for _, x := range v {
			if x == s {
				return true
			}
		}
	case string:
		return v == s
	}
	return false
}

// identity returns identity i's key.
func (u user) identity(i int, key string) any {
	ids, _ := u.get("identities").([]any)
	if i >= len(ids) {
		return nil
	}
	return ids[i].(map[string]any)[key]
}

// fixture is a store with seeded users in two connections.
type fixture struct {
	store search.Store
	users []user
}

const tenant = "dev"

func newFixture(t *testing.T, st userport.Store) *fixture {
	t.Helper()
	f := &fixture{store: st}
	for i, c := range []struct {
		name  string
		n     int
		start time.Time
	}{
		{"Username-Password-Authentication", 3000, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"legacy-db", 1000, time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)},
	} {
		conn := &userport.Connection{Tenant: tenant, ID: fmt.Sprintf("con_%016d", i), Name: c.name, Strategy: "auth0"}
		if err := st.CreateConnection(t.Context(), conn); err != nil {
			t.Fatal(err)
		}
		g := seed.New(int64(i+1), tenant, conn, c.start)
		users := make([]*userport.User, c.n)
		g.Fill(users)
		if err := st.CreateUsers(t.Context(), users...); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			d := user{id: u.UserID, doc: u.Doc}
			if err := json.Unmarshal(u.Doc, &d.m); err != nil {
				t.Fatal(err)
			}
			f.users = append(f.users, d)
		}
	}
	slices.SortFunc(f.users, func(a, b user) int { return strings.Compare(a.id, b.id) })
	return f
}

// query is one search of the table and the plain filter it must agree with.
type query struct {
	q    string
	want func(u user) bool
}

// queries builds the table from the fixture's users (some of whose values
// the queries name).
func queries(f *fixture) []query {
	a, b, c := f.users[17], f.users[1234], f.users[3500]
	ip := ""
	for _, u := range f.users[3500:] {
		if ip = u.str("last_ip"); ip != "" {
			break
		}
	}
	ci := func(s string) func(string) bool { return func(v string) bool { return strings.EqualFold(v, s) } }
	between := func(key string, lo, hi time.Time) func(u user) bool {
		return func(u user) bool { t, ok := u.time(key); return ok && !t.Before(lo) && t.Before(hi) }
	}
	day := func(y, m, d, h, min int) time.Time { return time.Date(y, time.Month(m), d, h, min, 0, 0, time.UTC) }
	logins := func(u user) float64 { n, _ := u.num("logins_count"); return n }
	emailLocal := strings.Split(a.str("email"), "@")[0]
	return []query{
		{`email:"` + a.str("email") + `"`, func(u user) bool { return u.str("email") == a.str("email") }},
		{`email:` + strings.ToUpper(b.str("email")), func(u user) bool { return ci(b.str("email"))(u.str("email")) }},
		{`email:` + emailLocal[:4] + `*`, func(u user) bool { return strings.HasPrefix(u.str("email"), emailLocal[:4]) }},
		{`email:*@gmail.com`, func(u user) bool { return strings.HasSuffix(u.str("email"), "@gmail.com") }},
		{`email.domain:GMAIL.com`, func(u user) bool { return strings.HasSuffix(u.str("email"), "@gmail.com") }},
		{`email:("` + a.str("email") + `" OR "` + c.str("email") + `")`, func(u user) bool {
			return u.str("email") == a.str("email") || u.str("email") == c.str("email")
		}},
		{`user_id:"` + b.id + `"`, func(u user) bool { return u.id == b.id }},
		{`user_id:` + b.id[:14] + `*`, func(u user) bool { return strings.HasPrefix(u.id, b.id[:14]) }},
		{`user_id:[` + a.id + ` TO ` + b.id + `}`, func(u user) bool { return u.id >= a.id && u.id < b.id }},
		{`identities.connection:"legacy-db"`, func(u user) bool { return u.identity(0, "connection") == "legacy-db" }},
		{`connection:Username-Password-Authentication`, func(u user) bool {
			return u.identity(0, "connection") == "Username-Password-Authentication"
		}},
		{`identities.connection:"nope"`, func(u user) bool { return false }},
		{`created_at:[2021-06-01 TO *]`, between("created_at", day(2021, 6, 1, 0, 0), day(9999, 1, 1, 0, 0))},
		{`created_at:[* TO 2019-01-01T00:10]`, between("created_at", day(1, 1, 1, 0, 0), day(2019, 1, 1, 0, 11))},
		{`created_at:{2019-01-01T00:10 TO 2019-01-01T00:20}`, between("created_at", day(2019, 1, 1, 0, 11), day(2019, 1, 1, 0, 20))},
		{`created_at:2021-06-01T00:05`, between("created_at", day(2021, 6, 1, 0, 5), day(2021, 6, 1, 0, 6))},
		{`last_login:[2019-05 TO 2019-06}`, between("last_login", day(2019, 5, 1, 0, 0), day(2019, 6, 1, 0, 0))},
		{`last_login:[2019-03-01 TO 2019-03-31]`, between("last_login", day(2019, 3, 1, 0, 0), day(2019, 4, 1, 0, 0))},
		{`NOT _exists_:last_login`, func(u user) bool { return u.get("last_login") == nil }},
		{`_exists_:phone_number`, func(u user) bool { return u.get("phone_number") != nil }},
		{`logins_count:[100 TO *]`, func(u user) bool { n, ok := u.num("logins_count"); return ok && n >= 100 }},
		{`logins_count:{10 TO 20}`, func(u user) bool { n, ok := u.num("logins_count"); return ok && n > 10 && n < 20 }},
		{`logins_count:0 OR NOT _exists_:logins_count`, func(u user) bool { n, ok := u.num("logins_count"); return !ok || n == 0 }},
		{`email_verified:false`, func(u user) bool { return u.get("email_verified") == false }},
		{`blocked:true`, func(u user) bool { return u.get("blocked") == true }},
		{`app_metadata.plan:starter`, func(u user) bool { return u.str("app_metadata", "plan") == "starter" }},
		{`app_metadata.plan:(free OR starter)`, func(u user) bool {
			return u.str("app_metadata", "plan") == "free" || u.str("app_metadata", "plan") == "starter"
		}},
		{`app_metadata.roles:analyst`, func(u user) bool { return u.has("analyst", "app_metadata", "roles") }},
		{`app_metadata.flags.beta:true`, func(u user) bool { return u.get("app_metadata", "flags", "beta") == true }},
		{`app_metadata.stripe.currency:eur`, func(u user) bool {
			s, _ := u.get("app_metadata", "stripe").([]any)
			return slices.ContainsFunc(s, func(x any) bool { return x.(map[string]any)["currency"] == "eur" })
		}},
		{`user_metadata.preferences.language:de-AT`, func(u user) bool { return u.str("user_metadata", "preferences", "language") == "de-AT" }},
		{`user_metadata.address.country:AT`, func(u user) bool { return u.str("user_metadata", "address", "country") == "AT" }},
		{`user_metadata.hobbies:gaming`, func(u user) bool { return u.has("gaming", "user_metadata", "hobbies") }},
		{`user_metadata.consent.given:true AND app_metadata.plan:free`, func(u user) bool {
			return u.get("user_metadata", "consent", "given") == true && u.str("app_metadata", "plan") == "free"
		}},
		{`name:"` + strings.ToUpper(a.str("name")) + `"`, func(u user) bool { return ci(a.str("name"))(u.str("name")) }},
		{`given_name:j*`, func(u user) bool { return strings.HasPrefix(strings.ToLower(u.str("given_name")), "j") }},
		{`family_name:*ler`, func(u user) bool { return strings.HasSuffix(strings.ToLower(u.str("family_name")), "ler") }},
		{`nickname:*ang*`, func(u user) bool { return strings.Contains(strings.ToLower(u.str("nickname")), "ang") }},
		{b.str("nickname"), func(u user) bool {
			n := b.str("nickname")
			return slices.ContainsFunc([]string{"email", "name", "given_name", "family_name", "nickname"}, func(k string) bool {
				return ci(n)(u.str(k))
			}) || u.id == n || u.str("username") == n || u.str("phone_number") == n
		}},
		{`identities.connection:"legacy-db" AND created_at:[* TO 2021-06-01T00:05]`, func(u user) bool {
			t, _ := u.time("created_at")
			return u.identity(0, "connection") == "legacy-db" && t.Before(day(2021, 6, 1, 0, 6))
		}},
		{`email:*@gmail.com AND NOT email_verified:true`, func(u user) bool {
			return strings.HasSuffix(u.str("email"), "@gmail.com") && u.get("email_verified") != true
		}},
		{`(app_metadata.plan:pro OR app_metadata.plan:enterprise) AND logins_count:[50 TO *]`, func(u user) bool {
			p := u.str("app_metadata", "plan")
			return (p == "pro" || p == "enterprise") && logins(u) >= 50
		}},
		{`-app_metadata.plan:free +identities.connection:"legacy-db"`, func(u user) bool {
			return u.str("app_metadata", "plan") != "free" && u.identity(0, "connection") == "legacy-db"
		}},
		{`phone_verified:true && user_metadata.preferences.newsletter:true`, func(u user) bool {
			return u.get("phone_verified") == true && u.get("user_metadata", "preferences", "newsletter") == true
		}},
		{`identities.provider:google-oauth2`, func(u user) bool {
			return u.identity(0, "provider") == "google-oauth2" || u.identity(1, "provider") == "google-oauth2"
		}},
		{`identities.isSocial:true`, func(u user) bool { return u.identity(1, "isSocial") == true || u.identity(0, "isSocial") == true }},
		{`last_ip:"` + ip + `"`, func(u user) bool { return u.str("last_ip") == ip }},
		{`updated_at:[2021-07 TO *]`, func(u user) bool { t, ok := u.time("updated_at"); return ok && !t.Before(day(2021, 7, 1, 0, 0)) }},
		{`email:"` + a.str("email") + `" OR last_login:[2019-03-01 TO 2019-03-02}`, func(u user) bool {
			t, ok := u.time("last_login")
			return u.str("email") == a.str("email") || (ok && !t.Before(day(2019, 3, 1, 0, 0)) && t.Before(day(2019, 3, 2, 0, 0)))
		}},
		{`email:"` + a.str("email") + `" OR email:"` + c.str("email") + `"`, func(u user) bool {
			return u.str("email") == a.str("email") || u.str("email") == c.str("email")
		}},
	}
}

func TestSearchSQLite(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	testSearch(t, newFixture(t, db))
}

func TestSearchPostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	testSearch(t, newFixture(t, db))
}

// testSearch runs every query of the table through Run and checks its
// users, in user_id order, and its total against the plain filter's.
func testSearch(t *testing.T, f *fixture) {
	discriminating := 0
	for _, q := range queries(f) {
		var want []string
		for _, u := range f.users {
			if q.want(u) {
				want = append(want, u.id)
			}
		}
		if len(want) > 0 && len(want) < len(f.users) {
			discriminating++
		}
		parsed, err := search.Parse(q.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", q.q, err)
			continue
		}
		res, err := search.Run(t.Context(), f.store, search.Request{Tenant: tenant, Query: parsed,
			Limit: len(f.users), Totals: true})
		if err != nil {
			t.Fatalf("Run(%q): %v", q.q, err)
		}
		got := ids(res.Docs)
		if res.Total != len(want) || !slices.Equal(got, want) {
			t.Errorf("%s: %d users (total %d), want %d; first differences: %v", q.q, len(got), res.Total, len(want), diff(got, want))
		}
	}
	if discriminating < 40 {
		t.Errorf("%d queries select some but not all users, want at least 40", discriminating)
	}
}

// ids returns the user_id of each document.
func ids(docs [][]byte) []string {
	out := []string{}
	for _, d := range docs {
		var v struct {
			UserID string `json:"user_id"`
		}
		_ = json.Unmarshal(d, &v)
		out = append(out, v.UserID)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// diff lists a few ids in one list and not the other.
func diff(got, want []string) []string {
	var out []string
	for _, g := range got {
		if !slices.Contains(want, g) && len(out) < 3 {
			out = append(out, "+"+g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) && len(out) < 6 {
			out = append(out, "-"+w)
		}
	}
	return out
}

// countingStore counts the candidates a search reads.
type countingStore struct {
	search.Store
	read int
}

func (c *countingStore) ScanUserKeys(ctx context.Context, s userport.UserKeyScan, p *userport.UserPage) error {
	err := c.Store.ScanUserKeys(ctx, s, p)
	c.read += p.Len()
	return err
}

// TestSearchReads checks how many users common searches read: those with
// an index read its range, not the tenant's 4000 users; a search of the
// metadata alone reads them all.
func TestSearchReads(t *testing.T) {
	t.Parallel()
	db := testutil.OpenSQLite(t)
	f := newFixture(t, db)
	a := f.users[17]
	tests := []struct {
		q        string
		totals   bool
		maxReads int
	}{
		{`email:"` + strings.ToUpper(a.str("email")) + `"`, true, 1},
		{`user_id:"` + a.id + `"`, true, 1},
		{`email:"` + a.str("email") + `" OR user_id:"` + f.users[99].id + `"`, true, 3},
		{`email:"` + a.str("email") + `" AND app_metadata.plan:free`, true, 1},
		{`identities.connection:"Username-Password-Authentication"`, false, 50}, // the first page only
		{`identities.connection:"legacy-db"`, true, 1000},
		{`created_at:[2021-06-01 TO *]`, true, 1000},
		{`created_at:[2021-06-01 TO 2021-06-01T00:10} AND NOT blocked:true`, true, 700}, // about 600 users
		{`email:"` + a.str("email") + `" OR created_at:2019-01-01T00:00`, true, 100},
		{`last_login:[2019-05-01 TO 2019-05-02}`, true, 100},
		{`app_metadata.plan:free`, true, 4000},
	}
	for _, tt := range tests {
		st := &countingStore{Store: db}
		q, err := search.Parse(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := search.Run(t.Context(), st, search.Request{Tenant: tenant, Query: q, Limit: 10, Totals: tt.totals}); err != nil {
			t.Fatal(err)
		}
		if st.read > tt.maxReads {
			t.Errorf("%s read %d users, want at most %d", tt.q, st.read, tt.maxReads)
		}
	}
}
