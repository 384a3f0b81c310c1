-- The parts of split exports: one user_id range of an export each, with its
-- own runner and heartbeat, so that a worker that dies loses only its range.
CREATE TABLE export_parts (
    tenant       TEXT    NOT NULL,
    job_id       TEXT    NOT NULL,
    idx          INTEGER NOT NULL,
    after_id     TEXT    NOT NULL DEFAULT '',  -- the range starts after it; '' from the first user
    until_id     TEXT    NOT NULL DEFAULT '',  -- the range ends at it, included; '' to the last user
    status       TEXT    NOT NULL,
    runner       TEXT    NOT NULL DEFAULT '',
    heartbeat_at INTEGER,                      -- Unix milliseconds, NULL for none
    done         INTEGER NOT NULL DEFAULT 0,
    file_key     TEXT    NOT NULL DEFAULT '',
    row_count    INTEGER NOT NULL DEFAULT 0,
    file_bytes   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, job_id, idx)
) WITHOUT ROWID;

-- Purging a job purges its parts (REPLACE in UpdateJob fires no trigger).
CREATE TRIGGER jobs_delete_parts AFTER DELETE ON jobs
BEGIN
    DELETE FROM export_parts WHERE tenant = OLD.tenant AND job_id = OLD.id;
END;
