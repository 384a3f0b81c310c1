-- Import jobs: a user's Auth0 custom_password_hash (kept out of the profile
-- document) and the last import job that wrote the user, which tells a
-- duplicate within one file from a user that existed before the import.
ALTER TABLE users ADD COLUMN custom_password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN import_job TEXT NOT NULL DEFAULT '';

-- The committed cursor and counters of each import job.
CREATE TABLE import_state (
    tenant     TEXT    NOT NULL,
    job_id     TEXT    NOT NULL,
    file_bytes INTEGER NOT NULL DEFAULT 0,
    records    INTEGER NOT NULL DEFAULT 0,   -- records of the file consumed
    bytes_read INTEGER NOT NULL DEFAULT 0,
    inserted   INTEGER NOT NULL DEFAULT 0,
    updated    INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, job_id)
) WITHOUT ROWID;

-- The per-user errors of each import job, by position in the file.
CREATE TABLE import_errors (
    tenant TEXT    NOT NULL,
    job_id TEXT    NOT NULL,
    record INTEGER NOT NULL,
    doc    TEXT    NOT NULL,   -- {"user": ..., "errors": [...]}, secrets masked
    PRIMARY KEY (tenant, job_id, record)
) WITHOUT ROWID;

-- Purging a job purges its import records. UpdateJob rewrites job rows with
-- REPLACE, whose implicit delete fires no trigger (recursive_triggers is off).
CREATE TRIGGER jobs_delete_imports AFTER DELETE ON jobs
BEGIN
    DELETE FROM import_state WHERE tenant = OLD.tenant AND job_id = OLD.id;
    DELETE FROM import_errors WHERE tenant = OLD.tenant AND job_id = OLD.id;
END;
