-- GET /api/v2/users-by-email: a tenant's users with one email, whatever
-- their connection, in user_id order (users_email starts with the
-- connection). Partial like users_email: lookups repeat `email <> ''`.
CREATE INDEX users_by_email ON users (tenant, email, user_id) WHERE email <> '';

-- Connections keep the options given (with Auth0's defaults), and are
-- deleted in two steps: deleted_at is set at once (the connection is gone
-- for the API), its users and then its row are purged in batches after.
ALTER TABLE connections ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE connections ADD COLUMN deleted_at INTEGER;
