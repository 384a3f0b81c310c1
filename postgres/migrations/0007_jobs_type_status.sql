-- The metrics count every tenant's jobs by type and status at scrape time:
-- this index answers that from itself (an index-only scan), without reading
-- the job rows.
CREATE INDEX jobs_type_status ON jobs (type, status);
