package postgres

import (
	"fmt"

	"github.com/userport/userport"
)

// Every statement that looks users up, in one place: TestUserLookupsUseIndexes
// explains each of them and fails on a sequential scan of users. The unique
// email and username indexes are partial (WHERE email <> ”): a statement
// that compares email or username with a parameter says `<> ”` too, or a
// generic plan of the prepared statement could not use them.
const (
	userColumns = `tenant, user_id, connection_id, email, username, password_hash, created_at, updated_at, doc`

	sqlFindUser = `SELECT ` + userColumns + ` FROM users WHERE tenant = $1 AND user_id = $2`

	sqlListUsers     = `SELECT ` + userColumns + ` FROM users WHERE tenant = $1 ORDER BY user_id LIMIT $2 OFFSET $3`
	sqlListConnUsers = `SELECT ` + userColumns + ` FROM users WHERE tenant = $1 AND connection_id = $2
		ORDER BY user_id LIMIT $3 OFFSET $4`

	sqlCountUsers     = `SELECT count(*) FROM users WHERE tenant = $1`
	sqlCountConnUsers = `SELECT count(*) FROM users WHERE tenant = $1 AND connection_id = $2`

	// Every statement that writes a user stamps it with the writing
	// transaction's id (inserts by the column's default), and every delete
	// leaves a tombstone, in the same statement (docs/design.md, "Change
	// tracking").
	sqlUpdateUser = `UPDATE users SET connection_id = $3, email = $4, username = $5, password_hash = $6,
		created_at = $7, updated_at = $8, doc = $9, change_xid = pg_current_xact_id() WHERE tenant = $1 AND user_id = $2`

	sqlDeleteUser = `WITH d AS (DELETE FROM users WHERE tenant = $1 AND user_id = $2 RETURNING tenant, user_id, connection_id)
		` + sqlTombstones

	// The export's keyset pages: the document and its user_id, the cursor.
	sqlReadUsers     = `SELECT doc, user_id FROM users WHERE tenant = $1 AND user_id > $2 ORDER BY user_id LIMIT $3`
	sqlReadConnUsers = `SELECT doc, user_id FROM users WHERE tenant = $1 AND connection_id = $2 AND user_id > $3
		ORDER BY user_id LIMIT $4`

	// The sample a split export cuts its ranges from: $2 % of the table's
	// pages (TABLESAMPLE SYSTEM reads only those), whatever the planner's
	// statistics or the visibility map (TestUserSamplePlan).
	sqlSampleUsers     = `SELECT user_id FROM users TABLESAMPLE SYSTEM ($2) WHERE tenant = $1 ORDER BY user_id`
	sqlSampleConnUsers = `SELECT user_id FROM users TABLESAMPLE SYSTEM ($3) WHERE tenant = $1 AND connection_id = $2
		ORDER BY user_id`
	// The users table's size in pages, and its rows per page as of the last
	// VACUUM or ANALYZE (0 when there was none).
	sqlUsersPages = `SELECT pg_relation_size(oid) / current_setting('block_size')::int,
		CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages ELSE 0 END
		FROM pg_class WHERE oid = 'users'::regclass`
	// GET /users-by-email: every connection's users with one email.
	sqlUsersByEmail = `SELECT ` + userColumns + ` FROM users WHERE tenant = $1 AND email = $2 AND email <> '' ORDER BY user_id`

	// The purge of a deleted connection: one batch of its users, a
	// tombstone each.
	sqlPurgeConnUsers = `WITH d AS (DELETE FROM users WHERE tenant = $1 AND user_id IN
		(SELECT user_id FROM users WHERE tenant = $1 AND connection_id = $2 LIMIT $3)
		RETURNING tenant, user_id, connection_id)
		` + sqlTombstones
	// sqlTombstones writes the tombstones of the deleted users d: the
	// deletion's time and transaction by the columns' defaults.
	sqlTombstones = `INSERT INTO tombstones (tenant, user_id, connection_id) SELECT tenant, user_id, connection_id FROM d
		ON CONFLICT (tenant, user_id) DO UPDATE SET connection_id = excluded.connection_id,
			deleted_at = excluded.deleted_at, change_xid = excluded.change_xid`

	sqlFindCustomPasswordHash = `SELECT custom_password_hash FROM users WHERE tenant = $1 AND user_id = $2`

	// The columns an import reads of a user: userColumns and the import that
	// last wrote it.
	importMatchColumns = userColumns + `, import_job`

	// The batched lookups of an import: the users holding any of an array of
	// keys ($2, or $3 after the connection).
	sqlImportRowsByID    = `SELECT ` + importMatchColumns + ` FROM users WHERE tenant = $1 AND user_id = ANY($2)`
	sqlImportRowsByEmail = `SELECT ` + importMatchColumns + ` FROM users
		WHERE tenant = $1 AND connection_id = $2 AND email = ANY($3) AND email <> ''`
	sqlImportRowsByUsername = `SELECT ` + importMatchColumns + ` FROM users
		WHERE tenant = $1 AND connection_id = $2 AND username = ANY($3) AND username <> ''`
	// The bulk insert of an import's new users, in order: the ones a key of
	// another user (or of an earlier one) refuses are skipped, and missing
	// from the keys it returns.
	sqlImportInsert = `INSERT INTO users (` + userColumns + `, custom_password_hash, import_job)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[])
		ON CONFLICT DO NOTHING RETURNING user_id, email, username`
	sqlImportUpdate = `UPDATE users SET connection_id = $3, email = $4, username = $5, password_hash = $6,
		created_at = $7, updated_at = $8, doc = $9,
		custom_password_hash = CASE WHEN $10 = '' THEN custom_password_hash ELSE $10 END, import_job = $11,
		change_xid = pg_current_xact_id()
		WHERE tenant = $1 AND user_id = $2`
	// The bulk update of an import's matched users, in one statement: a key
	// taken (or two updates that trade keys: unique indexes are checked row
	// by row) fails it whole, and the users are then updated one at a time.
	sqlImportUpdateAll = `UPDATE users AS u SET connection_id = v.connection_id, email = v.email,
		username = v.username, password_hash = v.password_hash, created_at = v.created_at,
		updated_at = v.updated_at, doc = v.doc,
		custom_password_hash = CASE WHEN v.custom = '' THEN u.custom_password_hash ELSE v.custom END, import_job = $11,
		change_xid = pg_current_xact_id()
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
			$9::text[], $10::text[]) AS v(user_id, connection_id, email, username, password_hash, created_at, updated_at, doc, custom)
		WHERE u.tenant = $1 AND u.user_id = v.user_id`
)

// An incremental export's pages: the tenant's users and tombstones whose
// transaction id is from the earlier watermark's Low ($2) and below this
// one's High ($3), after the previous page's last (mark, user_id) ($4, $5),
// in that order; the marks are xid8, passed and read as text (named mark:
// ORDER BY change_xid would sort the text column). Tombstones
// are of users that do not exist (a user created again is exported live).
const (
	sqlChangeRange = ` tenant = $1 AND change_xid >= $2::text::xid8 AND change_xid < $3::text::xid8
		AND (change_xid, user_id) > ($4::text::xid8, $5)`
	sqlReadChanges = `SELECT doc, user_id, change_xid::text AS mark FROM users WHERE` + sqlChangeRange + `
		ORDER BY change_xid, user_id LIMIT $6`
	sqlReadConnChanges = `SELECT doc, user_id, change_xid::text AS mark FROM users WHERE` + sqlChangeRange + `
		AND connection_id = $7 ORDER BY change_xid, user_id LIMIT $6`
	sqlReadTombstones = `SELECT user_id, connection_id, deleted_at, change_xid::text AS mark FROM tombstones AS t WHERE` + sqlChangeRange + `
		AND ($7 = '' OR connection_id = $7)
		AND NOT EXISTS (SELECT 1 FROM users AS u WHERE u.tenant = t.tenant AND u.user_id = t.user_id)
		ORDER BY change_xid, user_id LIMIT $6`
)

// searchKeys are, for each key a user search narrows its candidates by,
// the column or expression of users it compares and the index that holds
// it in (tenant, key, user_id) order (the primary key for user_id).
var searchKeys = map[userport.UserKey]struct{ expr, index string }{
	userport.KeyUserID:     {"user_id", "users_pkey"},
	userport.KeyEmail:      {"email", "users_search_email"},
	userport.KeyConnection: {"connection_id", "users_connection"},
	userport.KeyCreatedAt:  {"created_at", "users_search_created"},
	userport.KeyLastLogin:  {`((doc::jsonb ->> 'last_login') COLLATE "C")`, "users_search_last_login"},
}

// sqlSearchPage is the statement of one ScanUserKeys page: the first page
// (next false) starts at the lowest key value, a next one after the
// previous page's last (key, user_id); hasTo adds the upper end.
// Arguments: tenant, from (or after key and after user_id; the user_id
// alone for KeyUserID), [to], limit.
func sqlSearchPage(key userport.UserKey, next, hasTo bool) string {
	k := searchKeys[key]
	from, order := k.expr+" >= $2", k.expr+", user_id"
	n := 3
	switch {
	case key == userport.KeyUserID:
		order = "user_id"
		if next {
			from = "user_id > $2"
		}
	case next:
		from, n = "("+k.expr+", user_id) > ($2, $3)", 4
	}
	if hasTo {
		from += fmt.Sprintf(" AND %s <= $%d", k.expr, n)
		n++
	}
	return `SELECT doc, user_id, ` + k.expr + ` FROM users WHERE tenant = $1 AND ` + from +
		` ORDER BY ` + order + fmt.Sprintf(` LIMIT $%d`, n)
}
