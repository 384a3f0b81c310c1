-- The parts of split exports: one user_id range of an export each, with its
-- own runner and heartbeat, so that a worker that dies loses only its range.
CREATE TABLE export_parts (
    tenant       text COLLATE "C" NOT NULL,
    job_id       text COLLATE "C" NOT NULL,
    idx          integer NOT NULL,
    after_id     text COLLATE "C" NOT NULL DEFAULT '',  -- the range starts after it; '' from the first user
    until_id     text COLLATE "C" NOT NULL DEFAULT '',  -- the range ends at it, included; '' to the last user
    status       text NOT NULL,
    runner       text NOT NULL DEFAULT '',
    heartbeat_at timestamptz,
    done         bigint NOT NULL DEFAULT 0,
    file_key     text NOT NULL DEFAULT '',
    row_count    bigint NOT NULL DEFAULT 0,
    file_bytes   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, job_id, idx),
    FOREIGN KEY (tenant, job_id) REFERENCES jobs (tenant, id) ON DELETE CASCADE
);
