-- GET /api/v2/users-by-email reads users_search_email (search migration).

-- Connections keep the options given (with Auth0's defaults), and are
-- deleted in two steps: deleted_at is set at once (the connection is gone
-- for the API), its users and then its row are purged in batches after.
ALTER TABLE connections ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE connections ADD COLUMN deleted_at INTEGER;
