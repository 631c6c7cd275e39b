// The console: sign-in, upload (uploader.js), the file browser, details and share links.
import { api, query, token, setToken, formatBytes, showStatus, fillList, download, authHeaders } from './api.js';
import { createUploader } from './uploader.js';

const $ = (id) => document.getElementById(id);
const pageSize = 20;
const state = { cursors: [], next: null, file: null, thumbUrl: null, maxUploads: 1 };

function signedIn(yes) {
  $('sign-in').hidden = yes;
  for (const id of ['upload', 'files', 'quota', 'sign-out']) $(id).hidden = !yes;
  if (!yes) $('details').hidden = true;
}

// Errors become a visible status line (and never an unhandled rejection).
const guard = (fn) => async (...args) => {
  try { await fn(...args); } catch (e) {
    showStatus(e.message || String(e), true);
    if (e.status === 401) { setToken(''); signedIn(false); }
  }
};

async function refreshQuota() {
  const q = await api('GET', '/v1/quota');
  state.maxUploads = q.maxConcurrentUploads > 0 ? q.maxConcurrentUploads : 4;
  const limit = q.quotaBytes > 0 ? q.quotaBytes : Math.max(q.usedBytes, 1);
  $('quota-meter').max = limit;
  $('quota-meter').value = q.usedBytes;
  $('quota-text').textContent = `${formatBytes(q.usedBytes)} of ${q.quotaBytes > 0 ? formatBytes(q.quotaBytes) : 'unlimited'}`;
}

function cell(text) { const td = document.createElement('td'); td.textContent = text; return td; }

async function loadFiles(cursor) {
  const trash = $('show-trash').checked;
  const folder = $('folder').value || '/';
  const params = { limit: pageSize, cursor, sort: trash ? undefined : $('sort').value };
  if (!trash) Object.assign(params, { path: folder, q: $('search').value });
  const list = await api('GET', (trash ? '/v1/trash' : '/v1/files') + query(params));
  state.next = list.nextCursor;
  $('next-page').disabled = !list.nextCursor;
  $('first-page').disabled = state.cursors.length === 0;
  $('file-caption').textContent = trash ? 'Trash' : `Files in ${folder}`;
  const rows = list.items.map((f) => {
    const tr = document.createElement('tr');
    const name = document.createElement('button');
    name.type = 'button';
    name.className = 'link';
    name.textContent = f.name;
    name.addEventListener('click', guard(() => openDetails(f.id)));
    const td = document.createElement('td');
    td.append(name);
    tr.append(td, cell(formatBytes(f.size)), cell(new Date(f.updatedAt).toLocaleString()), cell(f.favorite ? '★' : ''));
    return tr;
  });
  $('file-table').tBodies[0].replaceChildren(...rows);
  if (!trash) await loadSubfolders(folder);
  else $('subfolders').replaceChildren();
}

async function loadSubfolders(folder) {
  const res = await api('GET', '/v1/folders' + query({ path: folder }));
  const buttons = [];
  if (folder !== '/') buttons.push(folderButton('Up', folder.replace(/\/[^/]+\/?$/, '') || '/'));
  for (const f of res.items) buttons.push(folderButton(`${f.name}/ (${f.fileCount})`, f.path));
  $('subfolders').replaceChildren(...buttons);
}

function folderButton(label, path) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', guard(async () => { $('folder').value = path; await firstPage(); }));
  return b;
}

async function firstPage() { state.cursors = []; await loadFiles(undefined); }

async function refresh() { await Promise.all([loadFiles(state.cursors.at(-1)), refreshQuota()]); }

async function openDetails(id) {
  const f = await api('GET', `/v1/files/${encodeURIComponent(id)}`);
  state.file = f;
  $('details').hidden = false;
  $('details-title').textContent = `Details: ${f.name}`;
  fillList($('meta'), [
    ['Name', f.name], ['Folder', f.path], ['Size', `${formatBytes(f.size)} (${f.size} bytes)`],
    ['Type', f.contentType], ['Status', f.status], ['Visibility', f.visibility],
    ['Created', f.createdAt], ['Updated', f.updatedAt], ['SHA-256', f.checksums.sha256 || '—'],
    ['Trashed', f.trashedAt || 'no'],
  ]);
  $('favorite').setAttribute('aria-pressed', String(f.favorite));
  $('favorite').textContent = f.favorite ? 'Unfavorite' : 'Favorite';
  $('visibility').value = f.visibility;
  $('new-name').value = f.name;
  $('new-path').value = f.path;
  $('trash').hidden = Boolean(f.trashedAt);
  $('restore').hidden = !f.trashedAt;
  $('download').disabled = Boolean(f.trashedAt);
  $('share-result').hidden = true;
  await showThumbnail(f);
  $('details').scrollIntoView({ block: 'start' });
}

// Thumbnails need the Authorization header, so they come through fetch as blob: URLs.
async function showThumbnail(f) {
  if (state.thumbUrl) URL.revokeObjectURL(state.thumbUrl);
  state.thumbUrl = null;
  $('thumb').hidden = true;
  $('thumb-none').hidden = false;
  if (!f.contentType.startsWith('image/') || f.trashedAt) return;
  const res = await fetch(`/v1/files/${encodeURIComponent(f.id)}/thumbnail?size=256`, { headers: authHeaders() });
  if (!res.ok) return;  // not made yet (or thumbnails are off): the caption says so
  state.thumbUrl = URL.createObjectURL(await res.blob());
  $('thumb').src = state.thumbUrl;
  $('thumb').alt = `Thumbnail of ${f.name}`;
  $('thumb').hidden = false;
  $('thumb-none').hidden = true;
}

async function patchFile(patch, done) {
  const f = await api('PATCH', `/v1/files/${encodeURIComponent(state.file.id)}`, patch);
  showStatus(done);
  await openDetails(f.id);
  await loadFiles(state.cursors.at(-1));
}

async function createShare(e) {
  e.preventDefault();
  const body = {};
  if ($('share-password').value) body.password = $('share-password').value;
  if ($('share-expiry').value) body.expiresAt = new Date($('share-expiry').value).toISOString();
  if ($('share-max').value) body.maxDownloads = Number($('share-max').value);
  const s = await api('POST', `/v1/files/${encodeURIComponent(state.file.id)}/shares`, body);
  $('share-link').value = new URL(`/s/${s.token}`, location.origin).href;
  $('share-result').hidden = false;
  $('share-password').value = '';
  showStatus('Share link created; it is shown only now.');
}

function wire() {
  $('sign-in-form').addEventListener('submit', guard(async (e) => {
    e.preventDefault();
    setToken($('token').value.trim());
    $('token').value = '';
    await start();
  }));
  $('sign-out').addEventListener('click', () => { setToken(''); signedIn(false); showStatus('Signed out.'); });
  $('list-form').addEventListener('submit', guard(async (e) => { e.preventDefault(); await firstPage(); }));
  $('sort').addEventListener('change', guard(firstPage));
  $('show-trash').addEventListener('change', guard(firstPage));
  $('next-page').addEventListener('click', guard(async () => { state.cursors.push(state.next); await loadFiles(state.next); }));
  $('first-page').addEventListener('click', guard(firstPage));
  $('download').addEventListener('click', guard(async () => {
    const u = await api('GET', `/v1/files/${encodeURIComponent(state.file.id)}/url` + query({ disposition: 'attachment' }));
    download(u.url);
  }));
  $('favorite').addEventListener('click', guard(() => patchFile({ favorite: !state.file.favorite }, 'Favorite changed.')));
  $('visibility').addEventListener('change', guard(() => patchFile({ visibility: $('visibility').value }, 'Visibility changed.')));
  $('rename-form').addEventListener('submit', guard(async (e) => { e.preventDefault(); await patchFile({ name: $('new-name').value }, 'Renamed.'); }));
  $('move-form').addEventListener('submit', guard(async (e) => { e.preventDefault(); await patchFile({ path: $('new-path').value }, 'Moved.'); }));
  $('trash').addEventListener('click', guard(async () => {
    await api('DELETE', `/v1/files/${encodeURIComponent(state.file.id)}`);
    showStatus('Moved to the trash.');
    await openDetails(state.file.id);
    await refresh();
  }));
  $('restore').addEventListener('click', guard(async () => {
    await api('POST', `/v1/files/${encodeURIComponent(state.file.id)}/restore`);
    showStatus('Restored.');
    await openDetails(state.file.id);
    await refresh();
  }));
  $('share-form').addEventListener('submit', guard(createShare));
  $('share-copy').addEventListener('click', guard(async () => {
    await navigator.clipboard.writeText($('share-link').value);
    showStatus('Link copied.');
  }));
}

let uploader = null;
async function start() {
  await refreshQuota();  // proves the token before showing anything
  signedIn(true);
  showStatus('');
  if (!uploader) {
    uploader = createUploader({
      target: $('dashboard'),
      folder: () => $('upload-folder').value || '/',
      onUploaded: guard(async () => { showStatus('Upload complete.'); await refresh(); }),
      concurrency: () => state.maxUploads,
    });
    for (const r of document.querySelectorAll('input[name=protocol]'))
      r.addEventListener('change', () => uploader.useProtocol(r.value));
  }
  await firstPage();
}

wire();
// tools/run's link carries a development token in the fragment (never sent to the server).
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('token')) {
  setToken(fragment.get('token'));
  history.replaceState(null, '', location.pathname);
}
if (token()) guard(start)(); else signedIn(false);
