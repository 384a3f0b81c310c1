// userport console: plain JavaScript, no framework, no network but the
// server's own origin. The access token lives in the `session` variable
// only: never in the browser's storage or a cookie. Every piece of text from
// the server goes into the page through textContent, never as markup (the
// Content-Security-Policy's Trusted Types refuse HTML sinks outright).
'use strict';

(function () {
  // The contract's default CSV fields (shared/spec/users-export-api.md, section 3).
  const DEFAULT_FIELDS = ['user_id', 'email', 'email_verified', 'username', 'phone_number',
    'phone_verified', 'name', 'given_name', 'family_name', 'nickname', 'picture',
    'identities[0].connection', 'created_at', 'updated_at', 'last_login', 'last_ip',
    'logins_count', 'blocked'];
  const ACTIVE = new Set(['pending', 'processing']);
  const POLL_ACTIVE_MS = 1000;
  const POLL_IDLE_MS = 5000;
  const JOBS_PAGE = 25;
  const MAX_ERROR_ROWS = 200;

  let session = null; // {token, clientId}
  const jobs = new Map(); // id -> {job, card}
  let pollTimer = 0;
  let polling = false;
  let listMissing = false; // the server has no GET /api/v2/jobs: follow this page's jobs only
  let fieldSeq = 0;

  const $ = (id) => document.getElementById(id);

  // el makes an element with attributes and children (strings become text).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c);
    }
    return e;
  }

  // ApiError is an answer other than 2xx, described as plainly as the body allows.
  class ApiError extends Error {
    constructor(status, statusText, body) {
      super(describe(status, statusText, body));
      this.status = status;
      this.body = body;
    }
  }

  // describe turns an error answer into one line: Auth0's Management API body
  // {statusCode, error, message, errorCode}, or the OAuth body {error,
  // error_description} of /oauth/token, or the bare status.
  function describe(status, statusText, body) {
    if (body && typeof body === 'object') {
      if (typeof body.message === 'string') {
        const head = `${body.statusCode || status} ${body.error || statusText}`;
        return `${head}: ${body.message}` + (body.errorCode ? ` (errorCode ${body.errorCode})` : '');
      }
      if (typeof body.error === 'string') {
        return `${status} ${body.error}` + (body.error_description ? `: ${body.error_description}` : '');
      }
    }
    return `${status} ${statusText || 'error'}` + (typeof body === 'string' && body ? `: ${body.slice(0, 300)}` : '');
  }

  // request sends a request to the server and returns the decoded JSON answer
  // (null for 204). A 401 from the API ends the session.
  async function request(method, path, {json, form, auth = true} = {}) {
    const headers = {Accept: 'application/json'};
    let body;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form; // the browser writes the multipart boundary
    }
    if (auth) {
      if (!session) throw new Error('Not signed in.');
      headers.Authorization = 'Bearer ' + session.token;
    }
    let res;
    try {
      res = await fetch(path, {method, headers, body, credentials: 'omit', cache: 'no-store'});
    } catch (e) {
      throw new Error(`The server cannot be reached (${e.message}).`);
    }
    if (res.status === 204) return null;
    const text = await res.text();
    let data = text;
    try { data = text ? JSON.parse(text) : null; } catch (_) { /* keep the text */ }
    if (!res.ok) {
      const err = new ApiError(res.status, res.statusText, data);
      if (auth && res.status === 401) expire(err);
      throw err;
    }
    return data;
  }

  // show puts a message into an alert region (or hides it when msg is empty).
  function show(region, msg) {
    region.textContent = msg || '';
    region.hidden = !msg;
  }

  function say(region, msg) {
    region.textContent = msg || '';
  }

  // --- signing in and out ---

  async function signIn(ev) {
    ev.preventDefault();
    const id = $('client-id').value.trim();
    const secret = $('client-secret').value;
    const errBox = $('signin-error');
    if (!id || !secret) {
      show(errBox, 'Enter a client ID and a client secret.');
      (id ? $('client-secret') : $('client-id')).focus();
      return;
    }
    show(errBox, '');
    $('signin-submit').disabled = true;
    try {
      const tok = await request('POST', '/oauth/token', {auth: false, json: {
        grant_type: 'client_credentials', client_id: id, client_secret: secret,
        audience: location.origin + '/api/v2/'}});
      session = {token: tok.access_token, clientId: id};
      $('client-secret').value = '';
      enter(tok.scope || '');
    } catch (e) {
      show(errBox, e.message);
      $('client-secret').focus();
    } finally {
      $('signin-submit').disabled = false;
    }
  }

  function enter(scope) {
    $('signin').hidden = true;
    $('app').hidden = false;
    $('whoami').hidden = false;
    $('whoami').textContent = `Signed in as ${session.clientId}` + (scope ? ` (${scope})` : '');
    $('signout').hidden = false;
    $('main').focus();
    loadConnections();
    pollSoon(0);
  }

  function signOut(message) {
    session = null;
    clearTimeout(pollTimer);
    jobs.clear();
    $('jobs-list').replaceChildren();
    $('import-result').replaceChildren();
    for (const id of ['export-status', 'import-status', 'jobs-status']) say($(id), '');
    for (const id of ['connections-error', 'export-error', 'import-error', 'jobs-error']) show($(id), '');
    $('app').hidden = true;
    $('whoami').hidden = true;
    $('signout').hidden = true;
    $('signin').hidden = false;
    show($('signin-error'), message || '');
    $('client-id').focus();
  }

  // expire ends a session the server no longer accepts.
  function expire(err) {
    if (session) signOut(`Signed out: the server refused the token (${err.message}). Sign in again.`);
  }

  // --- connections and their user counts ---

  // allConnections follows the checkpoint paging of GET /api/v2/connections.
  async function allConnections() {
    const out = [];
    let from = '';
    for (;;) {
      const q = new URLSearchParams({take: '100'});
      if (from) q.set('from', from);
      const page = await request('GET', '/api/v2/connections?' + q);
      out.push(...page.connections);
      if (!page.next) return out;
      from = page.next;
    }
  }

  // countUsers asks GET /api/v2/users for its total (include_totals), one user per page.
  async function countUsers(connection) {
    const q = new URLSearchParams({per_page: '1', include_totals: 'true'});
    if (connection) q.set('connection', connection);
    const page = await request('GET', '/api/v2/users?' + q);
    return page.total;
  }

  async function loadConnections() {
    const errBox = $('connections-error');
    show(errBox, '');
    const body = $('connections-table').tBodies[0];
    try {
      const conns = await allConnections();
      fillConnectionSelects(conns);
      const rows = conns.map((c) => {
        const count = el('td', {class: 'num', text: '…'});
        return {c, count, row: el('tr', {'data-connection': c.name},
          el('th', {scope: 'row', text: c.name}), el('td', {class: 'wide-only'}, el('code', {text: c.id})), count)};
      });
      body.replaceChildren(...rows.map((r) => r.row));
      const counts = await Promise.all([countUsers(''), ...rows.map((r) => countUsers(r.c.name))]);
      $('users-total').textContent = fmt(counts[0]);
      rows.forEach((r, i) => { r.count.textContent = fmt(counts[i + 1]); });
    } catch (e) {
      show(errBox, 'Connections: ' + e.message);
    }
  }

  function fillConnectionSelects(conns) {
    const exp = $('export-connection');
    const imp = $('import-connection');
    const keepExp = exp.value;
    const keepImp = imp.value;
    exp.replaceChildren(el('option', {value: '', text: 'All users of the tenant'}),
      ...conns.map((c) => el('option', {value: c.id, text: c.name})));
    imp.replaceChildren(...conns.map((c) => el('option', {value: c.id, text: c.name})));
    if (keepExp) exp.value = keepExp;
    if (keepImp) imp.value = keepImp;
  }

  function fmt(n) {
    return typeof n === 'number' ? n.toLocaleString('en') : '?';
  }

  // --- the export form ---

  function addFieldRow(name, exportAs, custom) {
    const n = ++fieldSeq;
    const remove = custom ? el('button', {type: 'button', class: 'small', 'aria-label': `Remove the field ${name}`, text: 'Remove',
      onclick: (ev) => {
        const li = ev.currentTarget.closest('li');
        const next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        (next ? next.querySelector('input') : $('field-path')).focus();
      }}) : null;
    $('fields').append(el('li', {'data-field': name},
      el('input', {type: 'checkbox', id: `f${n}`, checked: true, 'data-role': 'include'}),
      el('label', {for: `f${n}`}, el('code', {text: name})),
      el('label', {for: `as${n}`, class: 'visually-hidden', text: `Export ${name} as`}),
      el('input', {id: `as${n}`, 'data-role': 'as', placeholder: 'export as', value: exportAs || '', maxlength: '100', spellcheck: 'false'}),
      remove));
  }

  function addCustomField() {
    const path = $('field-path').value.trim();
    const as = $('field-as').value.trim();
    const errBox = $('field-error');
    if (!path) {
      show(errBox, 'Enter a field path to add.');
      $('field-path').focus();
      return;
    }
    show(errBox, '');
    addFieldRow(path, as, true);
    $('field-path').value = '';
    $('field-as').value = '';
    $('field-path').focus();
  }

  function checkedFields() {
    const out = [];
    for (const li of $('fields').children) {
      if (!li.querySelector('[data-role=include]').checked) continue;
      const f = {name: li.dataset.field};
      const as = li.querySelector('[data-role=as]').value.trim();
      if (as) f.export_as = as;
      out.push(f);
    }
    return out;
  }

  function setAllFields(on) {
    for (const box of $('fields').querySelectorAll('[data-role=include]')) box.checked = on;
  }

  async function startExport(ev) {
    ev.preventDefault();
    const form = $('export-form');
    const errBox = $('export-error');
    show(errBox, '');
    const body = {format: form.elements.format.value};
    const conn = $('export-connection').value;
    if (conn) body.connection_id = conn;
    const limit = $('export-limit').value.trim();
    if (limit) {
      if (!/^[1-9][0-9]*$/.test(limit)) {
        show(errBox, 'The limit is a whole number of users, 1 or more.');
        $('export-limit').focus();
        return;
      }
      body.limit = Number(limit);
    }
    const q = $('export-q').value.trim();
    if (q) body.q = q; // a userport extension: the server checks the query, a bad one is a 400 with its position
    const fields = checkedFields();
    if (fields.length) body.fields = fields;
    $('export-submit').disabled = true;
    try {
      const job = await request('POST', '/api/v2/jobs/users-exports', {json: body});
      track(job);
      say($('export-status'), `Export ${job.id} is ${job.status}: follow it under Jobs.`);
      pollSoon(0);
    } catch (e) {
      show(errBox, e.message);
    } finally {
      $('export-submit').disabled = false;
    }
  }

  // --- the import form ---

  async function startImport(ev) {
    ev.preventDefault();
    const errBox = $('import-error');
    show(errBox, '');
    const file = $('import-file').files[0];
    if (!file) {
      show(errBox, 'Choose a file to import.');
      $('import-file').focus();
      return;
    }
    const conn = $('import-connection').value;
    if (!conn) {
      show(errBox, 'Choose the connection to import into.');
      $('import-connection').focus();
      return;
    }
    const form = new FormData();
    form.append('users', file, file.name);
    form.append('connection_id', conn);
    form.append('upsert', $('import-upsert').checked ? 'true' : 'false');
    if ($('import-new-ids').checked) form.append('new_ids', 'true'); // a userport extension
    const ext = $('import-external-id').value.trim();
    if (ext) form.append('external_id', ext);
    $('import-submit').disabled = true;
    say($('import-status'), `Uploading ${file.name}…`);
    try {
      const job = await request('POST', '/api/v2/jobs/users-imports', {form});
      const entry = track(job);
      say($('import-status'), `Import ${job.id} is ${job.status}.`);
      $('import-result').replaceChildren(entry.importCard.card);
      pollSoon(0);
    } catch (e) {
      say($('import-status'), '');
      show(errBox, e.message);
    } finally {
      $('import-submit').disabled = false;
    }
  }

  // --- jobs: cards updated in place, so that focus stays where it was ---

  // track adds or updates a job; it returns its entry.
  function track(job) {
    let entry = jobs.get(job.id);
    if (!entry) {
      entry = {job, cards: []};
      entry.card = makeCard(job);
      entry.cards.push(entry.card);
      if (job.type === 'users_import') {
        entry.importCard = makeCard(job);
        entry.importCard.showErrors = true; // the import form's card lists the errors by itself
        entry.cards.push(entry.importCard);
      }
      jobs.set(job.id, entry);
      placeCard(entry);
    }
    entry.job = Object.assign({}, entry.job, job);
    for (const c of entry.cards) updateCard(c, entry.job);
    $('jobs-empty').hidden = jobs.size > 0;
    return entry;
  }

  // placeCard keeps the list newest first.
  function placeCard(entry) {
    const list = $('jobs-list');
    const at = entry.job.created_at || '';
    for (const li of list.children) {
      if ((li.dataset.created || '') < at) {
        list.insertBefore(entry.card.card, li);
        return;
      }
    }
    list.append(entry.card.card);
  }

  function makeCard(job) {
    const kind = job.type === 'users_import' ? 'Import' : 'Export';
    const c = {};
    c.status = el('span', {class: 'badge'});
    c.progress = el('progress', {max: '100', 'aria-label': `${kind} ${job.id} progress`});
    c.progressText = el('span', {class: 'progress-text'});
    c.details = el('p', {class: 'details', hidden: true});
    c.summary = el('dl', {class: 'summary', hidden: true});
    c.download = el('button', {type: 'button', hidden: true, text: 'Download', 'aria-label': `Download the file of ${job.id}`,
      onclick: () => download(job.id, c)});
    c.errorsButton = el('button', {type: 'button', hidden: true, text: 'Show errors', 'aria-label': `Show the errors of ${job.id}`,
      onclick: () => loadErrors(job.id, c)});
    c.errors = el('div', {class: 'job-errors'});
    c.alert = el('div', {class: 'error', role: 'alert', hidden: true});
    c.meta = el('p', {class: 'meta'});
    c.manifest = el('div', {class: 'manifest', hidden: true});
    c.card = el('li', {class: 'job', 'data-id': job.id, 'data-type': job.type, 'data-created': job.created_at || ''},
      el('h3', {}, `${kind} `, el('code', {text: job.id}), ' ', c.status),
      c.meta,
      el('div', {class: 'progress-row'}, c.progress, c.progressText),
      c.details, c.summary,
      el('div', {class: 'buttons'}, c.download, c.errorsButton),
      c.manifest,
      c.alert, c.errors);
    return c;
  }

  function updateCard(c, job) {
    c.card.dataset.status = job.status;
    c.status.textContent = job.status;
    c.status.className = 'badge ' + job.status;
    const parts = [];
    if (job.format) parts.push(job.format.toUpperCase());
    parts.push(job.connection ? `connection ${job.connection}` : 'all users');
    if (job.limit) parts.push(`limit ${fmt(job.limit)}`);
    if (job.fields) parts.push(`${job.fields.length} field${job.fields.length === 1 ? '' : 's'}`);
    if (job.external_id) parts.push(`external id ${job.external_id}`);
    if (job.created_at) parts.push(`created ${new Date(job.created_at).toLocaleString()}`);
    c.meta.textContent = parts.join(' · ');

    const active = ACTIVE.has(job.status);
    const done = job.status === 'completed' ? 100 : job.percentage_done;
    c.progress.hidden = !(active || job.status === 'completed');
    if (typeof done === 'number') c.progress.value = done; else c.progress.removeAttribute('value');
    c.progressText.textContent = progressText(job);

    c.details.hidden = !job.status_details;
    c.details.textContent = job.status_details || '';

    const s = job.summary;
    c.summary.hidden = !s;
    if (s) {
      c.summary.replaceChildren(...['total', 'inserted', 'updated', 'failed'].flatMap((k) =>
        [el('dt', {text: k}), el('dd', {'data-key': k, text: fmt(s[k])})]));
    }
    c.download.hidden = !(job.type === 'users_export' && job.status === 'completed');
    if (job.type === 'users_export' && job.status === 'completed' && !c.manifestAsked) {
      c.manifestAsked = true; // once: a completed export's manifest does not change
      loadManifest(job.id, c);
    }
    c.errorsButton.hidden = !(s && s.failed > 0);
    if (c.showErrors && !c.errorsAsked && s && s.failed > 0 && !ACTIVE.has(job.status)) {
      c.errorsAsked = true; // once; the Show errors button asks again
      loadErrors(job.id, c); // an import just finished with failures: show them at once
    }
  }

  function progressText(job) {
    switch (job.status) {
      case 'pending': return 'waiting for a worker';
      case 'processing': {
        const pct = typeof job.percentage_done === 'number' ? `${job.percentage_done}%` : '';
        const left = job.time_left_seconds > 0 ? `, about ${duration(job.time_left_seconds)} left` : '';
        return pct + left;
      }
      case 'completed': return job.type === 'users_export' ? 'done: the file is ready' : 'done';
      case 'expired': return 'the file was deleted (24 h after creation)';
      default: return '';
    }
  }

  function duration(s) {
    if (s < 90) return `${s} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  }

  // download asks for the job again (its location is a fresh link, valid for
  // about a minute) and follows it. A same-origin link (the local store) is
  // saved under its file name; an S3 presigned link is another origin, where
  // the browser downloads the gzip file by navigation (not subject to
  // connect-src).
  async function download(id, c) {
    show(c.alert, '');
    c.download.disabled = true;
    try {
      const job = await request('GET', `/api/v2/jobs/${encodeURIComponent(id)}`);
      track(job);
      if (!job.location) throw new Error(`The job is ${job.status}: it has no file to download.`);
      const a = el('a', {href: job.location, download: '', rel: 'noopener noreferrer', class: 'visually-hidden', text: 'download'});
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) {
      show(c.alert, e.message);
    } finally {
      c.download.disabled = false;
    }
  }

  // loadManifest shows what a completed export's manifest (a userport
  // extension) tells: its users and tombstones, its filter, the cursor of
  // the next incremental export and how many users had a value for each
  // field. A server without manifests (404), or a client that may not read
  // them, leaves the card as it was.
  async function loadManifest(id, c) {
    let m;
    try {
      m = await request('GET', `/api/v2/jobs/${encodeURIComponent(id)}/manifest`);
    } catch (e) {
      if (e.status !== 404 && e.status !== 403) show(c.alert, 'Manifest: ' + e.message);
      return;
    }
    if (!m || typeof m !== 'object') return;
    const parts = [el('dl', {class: 'summary'}, ...[['rows', m.rows], ['tombstones', m.tombstones], ['bytes', m.bytes]].flatMap(([k, v]) =>
      [el('dt', {text: k}), el('dd', {'data-key': k, text: fmt(v)})]))];
    if (m.sha256) parts.push(sha256Row(m.sha256));
    if (m.q) parts.push(el('p', {class: 'meta'}, 'Filter ', el('code', {'data-key': 'q', text: m.q})));
    if (m.changes_since) parts.push(el('p', {class: 'meta', text: 'Changes since an earlier export (incremental).'}));
    parts.push(cursorRow(id, m.cursor));
    parts.push(fieldCounts(m));
    c.manifest.replaceChildren(...parts);
    c.manifest.hidden = false;
  }

  // sha256Row shows the sha256 of the stored file, which a download is
  // checked against. The download link answers Range requests, so an
  // interrupted download resumes (the browser's, curl -C -, userport export).
  function sha256Row(sum) {
    return el('p', {class: 'meta'}, 'sha256 ', el('code', {'data-key': 'sha256', text: sum}),
      el('span', {class: 'hint', text: ' — compare with sha256sum of the file downloaded; an interrupted download resumes where it stopped.'}));
  }

  // cursorRow shows an export's cursor, read-only (select it to copy), with
  // a Copy button.
  function cursorRow(id, cursor) {
    if (!cursor) return el('p', {class: 'hint', text: 'No cursor: the limit cut this export short.'});
    const n = ++fieldSeq;
    const input = el('input', {id: `cursor${n}`, class: 'cursor', readonly: true, value: cursor, spellcheck: 'false',
      'data-key': 'cursor', onfocus: (ev) => ev.currentTarget.select()});
    const status = el('span', {class: 'hint', role: 'status'});
    const copy = el('button', {type: 'button', class: 'small', text: 'Copy', 'aria-label': `Copy the cursor of ${id}`,
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(cursor);
          say(status, 'Copied.');
        } catch (_) { // no clipboard (permission, an insecure origin): the text is selected instead
          input.focus();
          say(status, 'Selected: press Ctrl+C (⌘C) to copy.');
        }
      }});
    return el('div', {class: 'cursor-row'},
      el('label', {for: `cursor${n}`, text: 'Cursor'}),
      el('span', {class: 'hint', text: ' (changes_since of the next incremental export)'}),
      el('div', {class: 'copy'}, input, copy), status);
  }

  // fieldCounts lists how many users had a value for each field; a field
  // no user had is marked, since its column is empty.
  function fieldCounts(m) {
    const counts = Array.isArray(m.field_counts) ? m.field_counts : [];
    if (counts.length === 0) return null;
    const empty = m.rows > 0 ? counts.filter((f) => f.count === 0).map((f) => f.name) : [];
    const rows = counts.map((f) => el('tr', {'data-field': f.name, class: empty.includes(f.name) ? 'empty' : null},
      el('td', {}, el('code', {text: f.name})), el('td', {class: 'num', text: fmt(f.count)})));
    return el('details', {class: 'field-counts', open: empty.length > 0},
      el('summary', {text: empty.length ? `Field counts: no user had ${empty.join(', ')}` : 'Field counts'}),
      el('div', {class: 'scroll'}, el('table', {},
        el('thead', {}, el('tr', {}, el('th', {scope: 'col', text: 'Field'}), el('th', {scope: 'col', class: 'num', text: 'Users with a value'}))),
        el('tbody', {}, ...rows))));
  }

  async function loadErrors(id, c) {
    show(c.alert, '');
    try {
      const list = await request('GET', `/api/v2/jobs/${encodeURIComponent(id)}/errors`);
      c.errors.replaceChildren(errorsTable(list || []));
    } catch (e) {
      show(c.alert, e.message);
    }
  }

  function errorsTable(list) {
    if (list.length === 0) return el('p', {class: 'hint', text: 'No user failed.'});
    const rows = [];
    list.slice(0, MAX_ERROR_ROWS).forEach((item, i) => {
      const u = item.user || {};
      const who = u.email || u.user_id || u.username || '(no email or id)';
      for (const e of item.errors || []) {
        rows.push(el('tr', {}, el('td', {class: 'num', text: String(i + 1)}), el('td', {text: who}),
          el('td', {}, el('code', {text: e.code || ''})), el('td', {text: e.message || ''}),
          el('td', {}, el('code', {text: e.path || ''}))));
      }
    });
    const more = list.length > MAX_ERROR_ROWS ?
      el('p', {class: 'hint', text: `${fmt(list.length - MAX_ERROR_ROWS)} more users failed; GET /api/v2/jobs/{id}/errors lists them all.`}) : null;
    return el('div', {},
      el('div', {class: 'scroll'}, el('table', {class: 'errors'},
        el('caption', {text: `${fmt(list.length)} user${list.length === 1 ? '' : 's'} failed`}),
        el('thead', {}, el('tr', {}, ...['#', 'User', 'Code', 'Message', 'Path'].map((h) => el('th', {scope: 'col', text: h})))),
        el('tbody', {}, ...rows))),
      more);
  }

  // --- polling: the jobs list, and each of this page's jobs still running ---

  function pollSoon(ms) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, ms);
  }

  async function poll() {
    if (!session || polling) return;
    polling = true;
    try {
      const listed = listMissing ? new Set() : await pollList();
      const running = [...jobs.values()].filter((e) => ACTIVE.has(e.job.status) && !listed.has(e.job.id));
      await Promise.all(running.map((e) => pollJob(e.job.id)));
      show($('jobs-error'), '');
      if (!listMissing) say($('jobs-status'), `Updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      show($('jobs-error'), 'Jobs: ' + e.message);
    } finally {
      polling = false;
    }
    if (!session) return;
    const busy = [...jobs.values()].some((e) => ACTIVE.has(e.job.status));
    pollSoon(busy ? POLL_ACTIVE_MS : POLL_IDLE_MS);
  }

  // pollList updates the jobs of the list's first page and returns their ids.
  async function pollList() {
    let page;
    try {
      page = await request('GET', `/api/v2/jobs?per_page=${JOBS_PAGE}&include_totals=true`);
    } catch (e) {
      if (e.status === 404 || e.status === 405 || e.status === 403) {
        // An older server has no list; a client without read:users may
        // not read it: follow the jobs started on this page.
        listMissing = true;
        say($('jobs-status'), e.status === 403 ?
          'This client may not list jobs (read:users): only the jobs started on this page are shown.' : '');
        return new Set();
      }
      throw e;
    }
    const list = Array.isArray(page) ? page : page.jobs || [];
    for (const job of list) track(job);
    return new Set(list.map((j) => j.id));
  }

  async function pollJob(id) {
    track(await request('GET', `/api/v2/jobs/${encodeURIComponent(id)}`));
  }

  // --- wiring ---

  function init() {
    for (const f of DEFAULT_FIELDS) addFieldRow(f, '', false);
    $('signin-form').addEventListener('submit', signIn);
    $('signout').addEventListener('click', () => signOut(''));
    $('connections-refresh').addEventListener('click', loadConnections);
    $('export-form').addEventListener('submit', startExport);
    $('import-form').addEventListener('submit', startImport);
    $('field-add').addEventListener('click', addCustomField);
    $('field-path').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); addCustomField(); }
    });
    $('field-as').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); addCustomField(); }
    });
    $('fields-all').addEventListener('click', () => setAllFields(true));
    $('fields-none').addEventListener('click', () => setAllFields(false));
    document.documentElement.dataset.ready = 'true';
  }

  init();
})();
