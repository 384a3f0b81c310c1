-- Secrets every node of a deployment shares (scale mode's token signing keys
-- and download-link key), sealed by package vault: never plain text.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL -- Unix milliseconds
) WITHOUT ROWID;
