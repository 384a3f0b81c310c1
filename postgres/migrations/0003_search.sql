-- User search (GET /api/v2/users?q=): the keys its common queries read
-- through an index, each in (tenant, key, user_id) order, instead of the
-- tenant's users: the email across connections, the creation time and the
-- last login (read from the document, where Auth0's format sorts as the
-- time does; COLLATE "C" so that it sorts by bytes). The connection and
-- user_id have theirs already (users_connection, the primary key).
CREATE INDEX users_search_email ON users (tenant, email, user_id);
CREATE INDEX users_search_created ON users (tenant, created_at, user_id);
CREATE INDEX users_search_last_login ON users (tenant, ((doc::jsonb ->> 'last_login') COLLATE "C"), user_id);
