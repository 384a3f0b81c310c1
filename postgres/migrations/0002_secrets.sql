-- Secrets every node of a deployment shares (the token signing keys and the
-- download-link key), sealed by package vault: never plain text.
CREATE TABLE secrets (
    name       text COLLATE "C" PRIMARY KEY,
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL
);
