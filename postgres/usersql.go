package postgres

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

	sqlUpdateUser = `UPDATE users SET connection_id = $3, email = $4, username = $5, password_hash = $6,
		created_at = $7, updated_at = $8, doc = $9 WHERE tenant = $1 AND user_id = $2`

	sqlDeleteUser = `DELETE FROM users WHERE tenant = $1 AND user_id = $2`

	// The export's keyset pages: the document and its user_id, the cursor.
	sqlReadUsers     = `SELECT doc, user_id FROM users WHERE tenant = $1 AND user_id > $2 ORDER BY user_id LIMIT $3`
	sqlReadConnUsers = `SELECT doc, user_id FROM users WHERE tenant = $1 AND connection_id = $2 AND user_id > $3
		ORDER BY user_id LIMIT $4`

	// The cut points of a split export: from the last cut, the every-th
	// user_id further, read from an index (index-only scans).
	sqlUserCut     = `SELECT user_id FROM users WHERE tenant = $1 AND user_id > $2 ORDER BY user_id LIMIT 1 OFFSET $3`
	sqlConnUserCut = `SELECT user_id FROM users WHERE tenant = $1 AND connection_id = $2 AND user_id > $3
		ORDER BY user_id LIMIT 1 OFFSET $4`
	// GET /users-by-email: every connection's users with one email.
	sqlUsersByEmail = `SELECT ` + userColumns + ` FROM users WHERE tenant = $1 AND email = $2 AND email <> '' ORDER BY user_id`

	// The purge of a deleted connection: one batch of its users.
	sqlPurgeConnUsers = `DELETE FROM users WHERE tenant = $1 AND user_id IN
		(SELECT user_id FROM users WHERE tenant = $1 AND connection_id = $2 LIMIT $3)`

	sqlFindCustomPasswordHash = `SELECT custom_password_hash FROM users WHERE tenant = $1 AND user_id = $2`

	// An import's match of an existing user, its update, and the probes that
	// find the user a collision is with.
	importMatchColumns = userColumns + `, import_job`

	sqlImportMatchByID    = `SELECT ` + importMatchColumns + ` FROM users WHERE tenant = $1 AND user_id = $2`
	sqlImportMatchByEmail = `SELECT ` + importMatchColumns + ` FROM users
		WHERE tenant = $1 AND connection_id = $2 AND email = $3 AND email <> ''`
	sqlImportUpdate = `UPDATE users SET connection_id = $3, email = $4, username = $5, password_hash = $6,
		created_at = $7, updated_at = $8, doc = $9,
		custom_password_hash = CASE WHEN $10 = '' THEN custom_password_hash ELSE $10 END, import_job = $11
		WHERE tenant = $1 AND user_id = $2`
	sqlProbeUserID = `SELECT import_job FROM users WHERE tenant = $1 AND user_id = $2`
	sqlProbeEmail  = `SELECT import_job FROM users WHERE tenant = $1 AND connection_id = $2 AND email = $3
		AND email <> '' AND user_id <> $4`
	sqlProbeUsername = `SELECT import_job FROM users WHERE tenant = $1 AND connection_id = $2 AND username = $3
		AND username <> '' AND user_id <> $4`
)
