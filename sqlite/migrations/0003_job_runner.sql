-- The worker that runs a processing job and when it last said so: a job whose
-- heartbeat stops (its worker was killed) is taken over by another worker
-- instead of waiting for its time limit.
ALTER TABLE jobs ADD COLUMN runner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN heartbeat_at INTEGER; -- Unix milliseconds, NULL for none
