package sqlite

import "github.com/userport/userport"

// The statements the store runs on the users table, all in this file:
// TestUserQueryPlans checks with EXPLAIN QUERY PLAN that each one finds its
// users through an index, and that no other file of the package names the
// table in a statement.
//
// SQLite uses a partial index (users_email, users_username: WHERE email <> ”
// and WHERE username <> ”) only when the query's WHERE implies the index's:
// `email = ?` does not imply `email <> ”` (the argument may be empty), so
// the lookups by email and username repeat the index's condition.
const (
	userColumns = `tenant, user_id, connection_id, email, username, password_hash, created_at, updated_at, doc`

	// importRowColumns are userColumns plus the import that last wrote the
	// user, of users joined with a list of keys.
	importRowColumns = `users.tenant, users.user_id, users.connection_id, users.email, users.username,
		users.password_hash, users.created_at, users.updated_at, users.doc, users.import_job`

	// markOf is the highest mark of the tenant ?1, each part read through
	// an index, one entry each (TestChangeQueryPlans): the one owner of the
	// rule, which qMark (changes.go) reads and the single-user writes embed.
	markOf = `max((SELECT seq FROM change_counter WHERE id = 1),
		coalesce((SELECT max(change_seq) FROM users WHERE tenant = ?1), 0),
		coalesce((SELECT max(change_seq) FROM tombstones WHERE tenant = ?1), 0),
		coalesce((SELECT mark FROM change_horizons WHERE tenant = ?1), 0))`

	// Every statement that writes a user stamps it with the change mark of
	// its transaction (changes.go); a deleted user's row gives its tombstone.
	// A single user's create or update is one statement on its own (no
	// BEGIN and COMMIT: SQLite takes the write lock as the statement starts),
	// which reads the tenant's mark itself (markOf, the tenant ?1).
	qInsertUser    = `INSERT INTO users (` + userColumns + `, change_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertOneUser = `INSERT INTO users (` + userColumns + `, change_seq)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ` + markOf + ` + 1)`
	qFindUser   = `SELECT ` + userColumns + ` FROM users WHERE tenant = ? AND user_id = ?`
	qUpdateUser = `UPDATE users SET connection_id = ?3, email = ?4, username = ?5, password_hash = ?6,
		created_at = ?7, updated_at = ?8, doc = ?9, change_seq = ` + markOf + ` + 1 WHERE tenant = ?1 AND user_id = ?2`
	qDeleteUser = `DELETE FROM users WHERE tenant = ? AND user_id = ? RETURNING connection_id`

	qListUsers = `SELECT ` + userColumns + ` FROM users WHERE tenant = ? ORDER BY user_id LIMIT ? OFFSET ?`
	// Without statistics SQLite reads a connection's page from the tenant's
	// rows in key order, skipping other connections'; the index has the
	// connection's users in user_id order.
	qListConnUsers = `SELECT ` + userColumns + ` FROM users INDEXED BY users_connection
		WHERE tenant = ? AND connection_id = ? ORDER BY user_id LIMIT ? OFFSET ?`
	qCountUsers     = `SELECT count(*) FROM users WHERE tenant = ?`
	qCountConnUsers = `SELECT count(*) FROM users WHERE tenant = ? AND connection_id = ?`

	// The keyset pages of ReadUsers, the export's scan: in key order, the
	// users of other connections skipped (the export reads them all anyway,
	// and the primary key holds the documents).
	qScanUsers     = `SELECT doc FROM users WHERE tenant = ? AND user_id > ? ORDER BY user_id LIMIT ?`
	qScanConnUsers = `SELECT doc FROM users WHERE tenant = ? AND connection_id = ? AND user_id > ?
		ORDER BY user_id LIMIT ?`

	// The sample of a split export: from the last sampled user_id, the
	// every-th further, read from an index without the users' rows.
	qUserCut     = `SELECT user_id FROM users WHERE tenant = ? AND user_id > ? ORDER BY user_id LIMIT 1 OFFSET ?`
	qConnUserCut = `SELECT user_id FROM users INDEXED BY users_connection
		WHERE tenant = ? AND connection_id = ? AND user_id > ? ORDER BY user_id LIMIT 1 OFFSET ?`
	// GET /users-by-email: every connection's users with one email. Without
	// statistics SQLite would read the tenant in key order for the ORDER BY;
	// the index has one email's users in user_id order.
	qUsersByEmail = `SELECT ` + userColumns + ` FROM users INDEXED BY users_search_email
		WHERE tenant = ? AND email = ? AND email <> '' ORDER BY user_id`

	// The purge of a deleted connection: a batch of its users' ids, each
	// then deleted by qDeleteUser (and given a tombstone).
	qConnUserIDs = `SELECT user_id FROM users WHERE tenant = ? AND connection_id = ? LIMIT ?`

	qCustomPasswordHash = `SELECT custom_password_hash FROM users WHERE tenant = ? AND user_id = ?`

	// An import's writes and lookups.
	qImportInsert = `INSERT INTO users (` + userColumns + `, custom_password_hash, import_job, change_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qImportUpdate = `UPDATE users SET connection_id = ?, email = ?, username = ?, password_hash = ?,
		created_at = ?, updated_at = ?, doc = ?,
		custom_password_hash = CASE WHEN ? = '' THEN custom_password_hash ELSE ? END, import_job = ?, change_seq = ?
		WHERE tenant = ? AND user_id = ?`
	// The batched lookups of an import: the users holding any key of a JSON
	// array (?2, or ?3 after the connection), one index search per key (the
	// CROSS JOIN keeps the array the outer loop).
	qImportRowsByID = `SELECT ` + importRowColumns + ` FROM json_each(?2) AS k CROSS JOIN users
		WHERE users.tenant = ?1 AND users.user_id = k.value`
	qImportRowsByEmail = `SELECT ` + importRowColumns + ` FROM json_each(?3) AS k CROSS JOIN users
		WHERE users.tenant = ?1 AND users.connection_id = ?2 AND users.email = k.value AND users.email <> ''`
	qImportRowsByUsername = `SELECT ` + importRowColumns + ` FROM json_each(?3) AS k CROSS JOIN users
		WHERE users.tenant = ?1 AND users.connection_id = ?2 AND users.username = k.value AND users.username <> ''`

	// An incremental export's pages: the tenant's users whose mark is above
	// the earlier watermark (?2) and up to this one (?3), after the previous
	// page's last (mark, user_id) (?4, ?5), in that order; of one connection
	// (?7), its users filtered out of the tenant's changes.
	qReadChanges = `SELECT doc, user_id, change_seq FROM users INDEXED BY users_changes
		WHERE tenant = ?1 AND change_seq > ?2 AND change_seq <= ?3 AND (change_seq, user_id) > (?4, ?5)
		ORDER BY change_seq, user_id LIMIT ?6`
	qReadConnChanges = `SELECT doc, user_id, change_seq FROM users INDEXED BY users_changes
		WHERE tenant = ?1 AND change_seq > ?2 AND change_seq <= ?3 AND (change_seq, user_id) > (?4, ?5)
		AND connection_id = ?7 ORDER BY change_seq, user_id LIMIT ?6`
	// The tombstones of the same range whose user does not exist (a user
	// created again is exported live instead); ?7 the connection or ''.
	qReadTombstones = `SELECT t.user_id, t.connection_id, t.deleted_at, t.change_seq
		FROM tombstones AS t INDEXED BY tombstones_changes
		WHERE t.tenant = ?1 AND t.change_seq > ?2 AND t.change_seq <= ?3 AND (t.change_seq, t.user_id) > (?4, ?5)
		AND (?7 = '' OR t.connection_id = ?7)
		AND NOT EXISTS (SELECT 1 FROM users AS u WHERE u.tenant = t.tenant AND u.user_id = t.user_id)
		ORDER BY t.change_seq, t.user_id LIMIT ?6`

	// qCountAllUsers is the one full scan: `userport seed`'s bulk load (a
	// command line tool, never the service) compares its size to the table's.
	qCountAllUsers = `SELECT count(*) FROM users`
)

// userQueries names every statement above that looks users up, with the
// index search its plan must contain (the constraints SQLite reports): a
// lookup that searches only a prefix of its key reads the tenant's or the
// connection's users one by one.
var userQueries = []struct {
	name, query, search string
}{
	{"find user", qFindUser, byID},
	{"update user", qUpdateUser, byID + "\n" + markPlan},
	{"delete user", qDeleteUser, byID},
	{"list users", qListUsers, "PRIMARY KEY (tenant=?)"},
	{"list users of a connection", qListConnUsers, "INDEX users_connection (tenant=? AND connection_id=?)"},
	// The smallest index that has every user: the change marks (integers).
	{"count users", qCountUsers, "COVERING INDEX users_changes (tenant=?)"},
	{"count users of a connection", qCountConnUsers, "COVERING INDEX users_connection (tenant=? AND connection_id=?)"},
	{"export scan", qScanUsers, "PRIMARY KEY (tenant=? AND user_id>?)"},
	{"export scan of a connection", qScanConnUsers, "PRIMARY KEY (tenant=? AND user_id>?)"},
	{"split sample", qUserCut, "PRIMARY KEY (tenant=? AND user_id>?)"},
	{"split sample of a connection", qConnUserCut, "COVERING INDEX users_connection (tenant=? AND connection_id=? AND user_id>?)"},
	{"users by email", qUsersByEmail, "INDEX users_search_email (tenant=? AND email=?)"},
	{"purge a connection's users", qConnUserIDs, "COVERING INDEX users_connection (tenant=? AND connection_id=?)"},
	{"custom password hash", qCustomPasswordHash, byID},
	{"import update", qImportUpdate, byID},
	// The batched lookups read the array of keys, then search once a key
	// (an IN list over a partial index searched the tenant's rows instead).
	{"import rows by user_id", qImportRowsByID, byKeyList + byID},
	{"import rows by email", qImportRowsByEmail, byKeyList + byEmail},
	{"import rows by username", qImportRowsByUsername, byKeyList + "INDEX users_username (tenant=? AND connection_id=? AND username=?)"},
	{"changes", qReadChanges, "INDEX users_changes (tenant=? AND change_seq>? AND change_seq<?)"},
	{"changes of a connection", qReadConnChanges, "INDEX users_changes (tenant=? AND change_seq>? AND change_seq<?)"},
	{"seed's count", qCountAllUsers, "SCAN users USING COVERING INDEX users_changes"},
}

// The searches of the lookups of one user.
const (
	// markPlan is the plan of markOf, each max one entry of an index.
	markPlan = "SCALAR SUBQUERY 1\nSEARCH change_counter USING INTEGER PRIMARY KEY (rowid=?)\n" +
		"SCALAR SUBQUERY 2\nSEARCH users USING COVERING INDEX users_changes (tenant=?)\n" +
		"SCALAR SUBQUERY 3\nSEARCH tombstones USING COVERING INDEX tombstones_changes (tenant=?)\n" +
		"SCALAR SUBQUERY 4\nSEARCH change_horizons USING PRIMARY KEY (tenant=?)"
	byID    = "PRIMARY KEY (tenant=? AND user_id=?)"
	byEmail = "INDEX users_email (tenant=? AND connection_id=? AND email=?)"
	// byKeyList is the plan's first step of a lookup joined with a key list.
	byKeyList = "SCAN k VIRTUAL TABLE INDEX 1:\nSEARCH users USING "
)

// searchKeys are, for each key a user search narrows its candidates by,
// the column or expression of users it compares and the index that holds
// it in (tenant, key, user_id) order (the primary key for user_id). A
// WITHOUT ROWID table's index ends with the primary key, so (tenant, email)
// is (tenant, email, user_id).
var searchKeys = map[userport.UserKey]struct{ expr, index string }{
	userport.KeyUserID:     {"user_id", ""},
	userport.KeyEmail:      {"email", "users_search_email"},
	userport.KeyConnection: {"connection_id", "users_connection"},
	userport.KeyCreatedAt:  {"created_at", "users_search_created"},
	userport.KeyLastLogin:  {"json_extract(doc, '$.last_login')", "users_search_last_login"},
}

// qSearchPage is the statement of one ScanUserKeys page: the first page
// (next false) starts at the lowest key value (`key >= ?`), a next one
// after the previous page's last (key, user_id); hasTo adds the upper end.
// Arguments: tenant, from (or after key and after user_id; the user_id
// alone for KeyUserID; after key twice for KeyLastLogin), [to], limit.
func qSearchPage(key userport.UserKey, next, hasTo bool) string {
	k := searchKeys[key]
	from, order, indexed := k.expr+" >= ?", k.expr+", user_id", " INDEXED BY "+k.index
	switch {
	case key == userport.KeyUserID:
		from, order, indexed = "user_id >= ?", "user_id", ""
		if next {
			from = "user_id > ?"
		}
	case next && key == userport.KeyLastLogin:
		// SQLite compares a row value with an expression index's columns
		// without searching it: this form seeks the key and skips the few
		// users with the same last login.
		from = k.expr + " >= ? AND (" + k.expr + " > ? OR user_id > ?)"
	case next:
		from = "(" + k.expr + ", user_id) > (?, ?)"
	}
	if hasTo {
		from += " AND " + k.expr + " <= ?"
	}
	// The key's exact text is the next page's AfterKey: ScanUserKeys reads
	// it raw, with SQLite's own API, also where it looks like a time, as
	// last_login does.
	return `SELECT doc, user_id, ` + k.expr + ` FROM users` + indexed + ` WHERE tenant = ? AND ` + from +
		` ORDER BY ` + order + ` LIMIT ?`
}
