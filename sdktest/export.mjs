// export.mjs drives a userport server through the official Auth0 Node SDK
// (`auth0` v7, ManagementClient with client credentials), the way an Auth0
// customer's script would: list connections and users with the SDK's paging,
// create users, start a CSV and a JSON users export, poll the jobs until they
// complete, download and gunzip the files, and check them against what the
// API listed. Around the export it makes the calls migration scripts make:
// users by email (the v7 client and the legacy v4 one, auth0/legacy), a
// connection created with options, updated and deleted (legacy). It prints one JSON summary on stdout (the Go test
// httpapi TestNodeSDK checks it against the store) or exits 1 with a
// message on stderr.
//
// Configuration (environment):
//   USERPORT_URL            where the server listens, e.g. http://127.0.0.1:8080 (required)
//   USERPORT_DOMAIN         the domain given to the SDK (default: host:port of USERPORT_URL);
//                           the SDK's https://{domain} requests are rewritten to USERPORT_URL
//   USERPORT_AUDIENCE       the SDK's audience option (default: the SDK's own,
//                           https://{domain}/api/v2/, which userport accepts only
//                           when {domain} is the host the requests reach)
//   USERPORT_CLIENT_ID      client-credentials client (required)
//   USERPORT_CLIENT_SECRET
//   USERPORT_CSV_CONNECTION connection whose users the CSV export selects
//                           (default Username-Password-Authentication)
//   USERPORT_CONNECTIONS_TAKE  `take` of connections.list (default 50)
//   USERPORT_USERS_PER_PAGE    `per_page` of users.list (default 100)
//   USERPORT_CREATE_USERS      how many users to create through the SDK (default 2)
//   USERPORT_TIMEOUT_MS        how long to wait for each export job (default 20000)
//   USERPORT_SEARCH_CONNECTION connection whose users the search pages (default sdk-partners)

import { ManagementClient } from "auth0";
import { ManagementClient as LegacyManagementClient } from "auth0/legacy";
import { gunzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";

/** fail prints msg and exits 1. */
function fail(msg) {
  process.stderr.write(`sdktest: ${msg}\n`);
  process.exit(1);
}

/** check fails with msg unless cond holds. */
function check(cond, msg) {
  if (!cond) fail(msg);
}

/** config reads the environment. */
function config() {
  const env = process.env;
  const url = env.USERPORT_URL;
  check(url, "USERPORT_URL is not set");
  check(env.USERPORT_CLIENT_ID && env.USERPORT_CLIENT_SECRET, "USERPORT_CLIENT_ID and USERPORT_CLIENT_SECRET must be set");
  const int = (name, def) => {
    const v = env[name] === undefined || env[name] === "" ? def : Number(env[name]);
    check(Number.isInteger(v) && v >= 0, `${name} must be a non-negative integer, got ${env[name]}`);
    return v;
  };
  return {
    base: url.replace(/\/+$/, ""),
    domain: env.USERPORT_DOMAIN || new URL(url).host,
    audience: env.USERPORT_AUDIENCE || undefined,
    clientId: env.USERPORT_CLIENT_ID,
    clientSecret: env.USERPORT_CLIENT_SECRET,
    csvConnection: env.USERPORT_CSV_CONNECTION || "Username-Password-Authentication",
    searchConnection: env.USERPORT_SEARCH_CONNECTION || "sdk-partners",
    take: int("USERPORT_CONNECTIONS_TAKE", 50),
    perPage: int("USERPORT_USERS_PER_PAGE", 100),
    create: int("USERPORT_CREATE_USERS", 2),
    timeoutMs: int("USERPORT_TIMEOUT_MS", 20000),
  };
}

/**
 * redirectingFetch returns a fetch that sends the SDK's https://{domain}
 * requests to base, refuses any other URL (nothing may leave the machine), and
 * records "METHOD /path" of each request in log.
 */
function redirectingFetch(domain, base, log) {
  const origin = `https://${domain}`;
  return async (input, init = {}) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url !== origin && !url.startsWith(origin + "/")) {
      throw new Error(`sdktest: refusing a request outside ${origin}: ${url}`);
    }
    const method = init.method ?? (typeof input === "object" && "method" in input ? input.method : "GET");
    log.push(`${method} ${new URL(url).pathname}`);
    const target = base + url.slice(origin.length);
    return input instanceof Request ? fetch(new Request(target, input), init) : fetch(target, init);
  };
}

/** listConnections walks connections.list's checkpoint pages. */
async function listConnections(mgmt, take) {
  const all = [];
  let pages = 1;
  let page = await mgmt.connections.list({ take });
  all.push(...page.data);
  while (page.hasNextPage()) {
    page = await page.getNextPage();
    pages++;
    all.push(...page.data);
    check(pages <= 1000, "connections.list does not stop paging");
  }
  return { pages, items: all.map((c) => ({ id: c.id, name: c.name, strategy: c.strategy })) };
}

/** listUsers walks users.list's offset pages (include_totals=true). */
async function listUsers(mgmt, perPage) {
  const users = [];
  let pages = 1;
  let page = await mgmt.users.list({ per_page: perPage, include_totals: true });
  const total = page.response.total;
  users.push(...page.data);
  while (page.hasNextPage()) {
    page = await page.getNextPage();
    pages++;
    users.push(...page.data);
    check(pages <= 1000, "users.list does not stop paging");
  }
  check(Number.isInteger(total), `users.list total = ${JSON.stringify(total)}, want an integer`);
  check(users.length === total, `users.list paged ${users.length} users over ${pages} pages, total says ${total}`);
  const ids = new Set(users.map((u) => u.user_id));
  check(ids.size === users.length, `users.list returned ${users.length - ids.size} duplicate users across pages`);
  return { pages, total, users };
}

/**
 * searchUsers runs user searches (search engine v3) through users.list: one
 * user by email, in another case than stored, and the first page of a
 * connection's users with totals, sorted by email descending.
 */
async function searchUsers(mgmt, target, connection) {
  const byEmail = await mgmt.users.list({ q: `email:"${target.email.toUpperCase()}"`, search_engine: "v3" });
  const page = await mgmt.users.list({
    q: `identities.connection:"${connection}"`, search_engine: "v3", sort: "email:-1", per_page: 10, include_totals: true,
  });
  const emails = page.data.map((u) => u.email);
  check(emails.every((e, i) => i === 0 || emails[i - 1] >= e), `sort=email:-1 returned ${JSON.stringify(emails)}`);
  return {
    target: target.user_id,
    byEmail: byEmail.data.map((u) => u.user_id),
    connection: { total: page.response.total, count: page.data.length, connections: page.data.map((u) => u.identities?.[0]?.connection) },
  };
}

/** createUsers creates n users through the SDK, with awkward names and metadata. */
async function createUsers(mgmt, connection, n) {
  const tag = randomBytes(4).toString("hex");
  const created = [];
  for (let i = 0; i < n; i++) {
    const body = {
      connection,
      email: `sdk-${tag}-${i}@example.com`,
      password: `Sdk-Passw0rd-${tag}!`,
      name: i % 2 === 0 ? `O'Brien, "Bob" ${i}` : `=cmd|' /C calc'!A0 ${i}`,
      email_verified: i % 2 === 0,
      user_metadata: { consent: { given: i % 2 === 0, text: "Ja, gerne — \"ok\"", n: i } },
    };
    const u = await mgmt.users.create(body);
    check(/^auth0\|[0-9a-f]{24}$/.test(u.user_id), `users.create user_id = ${JSON.stringify(u.user_id)}`);
    check(u.email === body.email, `users.create email = ${JSON.stringify(u.email)}, want ${body.email}`);
    check(u.identities?.[0]?.connection === connection,
      `users.create identities[0].connection = ${JSON.stringify(u.identities?.[0]?.connection)}, want ${connection}`);
    check(!("password" in u), "users.create echoed the password");
    created.push({ user_id: u.user_id, email: u.email, name: u.name, user_metadata: u.user_metadata });
  }
  return created;
}

/** startExport creates an export job and checks the answer's shape. */
async function startExport(mgmt, body, connectionName) {
  const job = await mgmt.jobs.usersExports.create(body);
  check(job.type === "users_export", `export type = ${JSON.stringify(job.type)}`);
  check(job.status === "pending", `export status = ${JSON.stringify(job.status)}, want pending`);
  check(/^job_[A-Za-z0-9]{16}$/.test(job.id), `export id = ${JSON.stringify(job.id)}`);
  check(job.format === body.format, `export format = ${JSON.stringify(job.format)}, want ${body.format}`);
  check(!Number.isNaN(Date.parse(job.created_at)), `export created_at = ${JSON.stringify(job.created_at)}`);
  if (body.connection_id) {
    check(job.connection_id === body.connection_id, `export connection_id = ${JSON.stringify(job.connection_id)}`);
    check(job.connection === connectionName, `export connection = ${JSON.stringify(job.connection)}, want ${connectionName}`);
  }
  check(JSON.stringify(job.fields) === JSON.stringify(body.fields),
    `export fields = ${JSON.stringify(job.fields)}, want ${JSON.stringify(body.fields)}`);
  return job;
}

/** waitJob polls jobs.get until the job is completed. */
async function waitJob(mgmt, id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const statuses = [];
  for (;;) {
    const job = await mgmt.jobs.get(id);
    if (statuses.at(-1) !== job.status) statuses.push(job.status);
    if (job.status === "completed") {
      check(typeof job.location === "string" && job.location !== "", `job ${id} completed without a location`);
      return { job, statuses };
    }
    check(job.status === "pending" || job.status === "processing",
      `job ${id} is ${job.status}: ${JSON.stringify(job)}`);
    check(Date.now() < deadline, `job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** download fetches a location, checks the file's name and type, and gunzips it. */
async function download(location, format) {
  const res = await fetch(location);
  const body = Buffer.from(await res.arrayBuffer());
  check(res.status === 200, `GET ${location}: ${res.status} ${body.toString().slice(0, 200)}`);
  const ct = res.headers.get("content-type");
  check(ct === "application/gzip", `download Content-Type = ${JSON.stringify(ct)}, want application/gzip`);
  check(!res.headers.get("content-encoding"), `download has Content-Encoding ${res.headers.get("content-encoding")}`);
  const file = new URL(location).pathname.split("/").at(-1);
  check(new RegExp(`^[a-z0-9-]+\\.${format}\\.gz$`).test(file), `location ${location} does not name a {tenant}.${format}.gz file`);
  try {
    return gunzipSync(body).toString("utf8");
  } catch (err) {
    fail(`gunzip ${location}: ${err.message}`);
  }
}

/** parseCSV splits RFC 4180 text (quoted cells, doubled quotes, \n lines) into rows. */
function parseCSV(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; }
    else cell += c;
  }
  check(!quoted, "CSV ends inside a quoted cell");
  check(cell === "" && row.length === 0, "CSV does not end with a newline");
  return rows;
}

/** sameSet fails unless the two id lists hold the same ids, each once. */
function sameSet(what, got, want) {
  const g = new Set(got), w = new Set(want);
  check(g.size === got.length, `${what}: ${got.length - g.size} duplicate rows`);
  const missing = want.filter((id) => !g.has(id)), extra = got.filter((id) => !w.has(id));
  check(missing.length === 0 && extra.length === 0,
    `${what}: ${missing.length} users missing (${missing.slice(0, 3)}), ${extra.length} unexpected (${extra.slice(0, 3)})`);
}

/** checkCSV compares the CSV export with the users the API listed. */
function checkCSV(text, fields, listed, created, connection) {
  const rows = parseCSV(text);
  check(rows.length > 0, "CSV export is empty (no header)");
  const header = fields.map((f) => f.export_as ?? f.name);
  check(JSON.stringify(rows[0]) === JSON.stringify(header), `CSV header = ${JSON.stringify(rows[0])}, want ${JSON.stringify(header)}`);
  const col = Object.fromEntries(header.map((h, i) => [h, i]));
  const body = rows.slice(1);
  body.forEach((r, i) => check(r.length === header.length, `CSV row ${i + 1} has ${r.length} cells, want ${header.length}`));
  const want = listed.filter((u) => u.identities?.[0]?.connection === connection).map((u) => u.user_id);
  sameSet("CSV export vs users.list", body.map((r) => r[col.user_id].replace(/^'/, "")), want);
  const sorted = body.map((r) => r[col.user_id]);
  check(sorted.every((id, i) => i === 0 || sorted[i - 1] < id), "CSV rows are not in user_id order");
  for (const u of created) {
    const r = body.find((r) => r[col.user_id] === "'" + u.user_id);
    check(r[col.email] === "'" + u.email, `CSV email of ${u.user_id} = ${JSON.stringify(r[col.email])}`);
    check(r[col.name] === "'" + u.name, `CSV name of ${u.user_id} = ${JSON.stringify(r[col.name])}, want ${JSON.stringify("'" + u.name)}`);
    check(r[col.provider] === "'" + connection, `CSV provider of ${u.user_id} = ${JSON.stringify(r[col.provider])}`);
  }
  return body.length;
}

/** checkJSON compares the NDJSON export with the users the API listed. */
function checkJSON(text, listed, created) {
  check(text === "" || text.endsWith("\n"), "NDJSON export does not end with a newline");
  const lines = text.split("\n").slice(0, -1).map((l, i) => {
    try { return JSON.parse(l); } catch (err) { fail(`NDJSON line ${i + 1}: ${err.message}: ${l.slice(0, 200)}`); }
  });
  sameSet("JSON export vs users.list", lines.map((l) => l.user_id), listed.map((u) => u.user_id));
  const byID = new Map(listed.map((u) => [u.user_id, u]));
  for (const l of lines) {
    const u = byID.get(l.user_id);
    check(l.email === u.email, `JSON email of ${l.user_id} = ${JSON.stringify(l.email)}, want ${JSON.stringify(u.email)}`);
    check(l.connection === u.identities?.[0]?.connection, `JSON connection of ${l.user_id} = ${JSON.stringify(l.connection)}`);
    check(JSON.stringify(l.user_metadata) === JSON.stringify(u.user_metadata),
      `JSON user_metadata of ${l.user_id} = ${JSON.stringify(l.user_metadata)}, want ${JSON.stringify(u.user_metadata)}`);
  }
  for (const c of created) {
    const l = lines.find((l) => l.user_id === c.user_id);
    check(JSON.stringify(l.user_metadata) === JSON.stringify(c.user_metadata), `JSON user_metadata of created ${c.user_id}`);
  }
  return lines.length;
}

/**
 * compatCalls makes the calls around the export: users by email through
 * both clients, and a connection's update and delete through the legacy one.
 */
async function compatCalls(mgmt, legacy, created) {
  const out = { byEmail: [], legacyByEmail: [] };
  if (created.length > 0) {
    const email = created[0].email;
    const found = await mgmt.users.listUsersByEmail({ email });
    out.byEmail = found.map((u) => u.user_id);
    const old = await legacy.usersByEmail.getByEmail({ email, fields: "user_id,email", include_fields: true });
    check(old.status === 200, `usersByEmail.getByEmail status ${old.status}`);
    out.legacyByEmail = old.data.map((u) => u.user_id);
    check(old.data.every((u) => Object.keys(u).join(",") === "email,user_id"),
      `usersByEmail.getByEmail with fields user_id,email: ${JSON.stringify(old.data)}`);
  }
  const name = `sdk-compat-${randomBytes(4).toString("hex")}`;
  const conn = await mgmt.connections.create({ name, strategy: "auth0", options: { requires_username: true } });
  check(conn.options?.requires_username === true, `connections.create dropped the options: ${JSON.stringify(conn.options)}`);
  const updated = await legacy.connections.update({ id: conn.id }, { options: { brute_force_protection: false } });
  check(updated.status === 200, `connections.update status ${updated.status}`);
  out.updatedOptions = updated.data.options;
  const deleted = await legacy.connections.delete({ id: conn.id });
  out.deleteStatus = deleted.status;
  try {
    await legacy.connections.get({ id: conn.id });
    fail(`connections.get of the deleted ${conn.id} succeeded`);
  } catch (err) {
    out.getDeletedStatus = err.statusCode;
  }
  return out;
}

/** exportAndCheck runs one export job to the end and returns its text. */
async function exportAndCheck(mgmt, body, connectionName, timeoutMs) {
  const created = await startExport(mgmt, body, connectionName);
  const { job, statuses } = await waitJob(mgmt, created.id, timeoutMs);
  const text = await download(job.location, body.format);
  return { job: created, statuses, location: job.location, text };
}

async function main() {
  const cfg = config();
  const requests = [];
  const mgmt = new ManagementClient({
    domain: cfg.domain,
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    ...(cfg.audience ? { audience: cfg.audience } : {}),
    fetch: redirectingFetch(cfg.domain, cfg.base, requests),
    maxRetries: 0,
  });

  const legacyRequests = [];
  const legacy = new LegacyManagementClient({
    domain: cfg.domain,
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    ...(cfg.audience ? { audience: cfg.audience } : {}),
    fetch: redirectingFetch(cfg.domain, cfg.base, legacyRequests),
    retry: { enabled: false },
  });

  const connections = await listConnections(mgmt, cfg.take);
  const conn = connections.items.find((c) => c.name === cfg.csvConnection);
  check(conn, `connections.list has no ${cfg.csvConnection}: ${JSON.stringify(connections.items)}`);
  const created = await createUsers(mgmt, conn.name, cfg.create);
  const listed = await listUsers(mgmt, cfg.perPage);
  for (const c of created) check(listed.users.some((u) => u.user_id === c.user_id), `users.list misses created ${c.user_id}`);
  const searched = await searchUsers(mgmt, listed.users.find((u) => u.email), cfg.searchConnection);
  const compat = await compatCalls(mgmt, legacy, created);

  const csvFields = [
    { name: "user_id" }, { name: "email" }, { name: "name" },
    { name: "identities[0].connection", export_as: "provider" },
    { name: "email_verified" }, { name: "created_at" }, { name: "user_metadata.consent.given", export_as: "consent" },
  ];
  const csv = await exportAndCheck(mgmt, { connection_id: conn.id, format: "csv", fields: csvFields }, conn.name, cfg.timeoutMs);
  const csvRows = checkCSV(csv.text, csvFields, listed.users, created, conn.name);

  const jsonFields = [
    { name: "user_id" }, { name: "email" }, { name: "user_metadata" },
    { name: "identities[0].connection", export_as: "connection" },
  ];
  const json = await exportAndCheck(mgmt, { format: "json", fields: jsonFields }, undefined, cfg.timeoutMs);
  const jsonLines = checkJSON(json.text, listed.users, created);

  process.stdout.write(JSON.stringify({
    domain: cfg.domain,
    requests,
    connections,
    users: { pages: listed.pages, total: listed.total, count: listed.users.length },
    created,
    search: searched,
    compat: { ...compat, requests: legacyRequests },
    csv: { ...csv, rows: csvRows },
    json: { ...json, lines: jsonLines },
  }) + "\n");
}

main().catch((err) => {
  const detail = err.body !== undefined ? ` ${err.statusCode}: ${JSON.stringify(err.body)}` : "";
  fail(`${err.stack ?? err}${detail}`);
});
