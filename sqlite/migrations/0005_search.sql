-- User search (GET /api/v2/users?q=): the keys its common queries read
-- through an index instead of the tenant's users: the email across
-- connections, the creation time and the last login (read from the
-- document, where Auth0's format sorts as the time does). The connection
-- and user_id have theirs already (users_connection, the primary key).
CREATE INDEX users_search_email ON users (tenant, email);
CREATE INDEX users_search_created ON users (tenant, created_at);
CREATE INDEX users_search_last_login ON users (tenant, json_extract(doc, '$.last_login'));
