// The public page of a share (/s/{token}): name, size, thumbnail, download; password first
// when the link is protected. Only the public share API, no sign-in.
import { formatBytes, showStatus, fillList } from './api.js';

const $ = (id) => document.getElementById(id);
const shareToken = decodeURIComponent(location.pathname.split('/').pop());
const base = `/public/v1/shares/${encodeURIComponent(shareToken)}`;
let access = '';

async function call(method, path, body) {
  const init = { method, headers: access ? { 'X-Share-Access': access } : {} };
  if (body) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const res = await fetch(path, init);
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(json && json.error ? json.error.message : res.statusText);
  return json;
}

async function show() {
  const s = await call('GET', base);
  if (s.passwordRequired && !access) {
    $('unlock-form').hidden = false;
    $('password').focus();
    return;
  }
  $('unlock-form').hidden = true;
  $('shared').hidden = false;
  $('shared-name').textContent = s.name;
  document.title = `${s.name} · Sluice`;
  const entries = [['Size', `${formatBytes(s.size)} (${s.size} bytes)`], ['Type', s.contentType]];
  if (s.expiresAt) entries.push(['Expires', s.expiresAt]);
  if (s.downloadsLeft !== null && s.downloadsLeft !== undefined) entries.push(['Downloads left', String(s.downloadsLeft)]);
  fillList($('meta'), entries);
  const q = new URLSearchParams({ disposition: 'attachment' });
  if (access) q.set('access', access);
  if (s.allowDownload) {
    $('download').href = `${base}/content?${q}`;
    $('download').hidden = false;
  }
  if (s.contentType.startsWith('image/')) {
    const res = await fetch(`${base}/thumbnail?size=256`, { headers: access ? { 'X-Share-Access': access } : {} });
    if (res.ok) {
      $('thumb').src = URL.createObjectURL(await res.blob());
      $('thumb').alt = `Thumbnail of ${s.name}`;
      $('thumb').hidden = false;
    }
  }
}

$('unlock-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const r = await call('POST', `${base}/unlock`, { password: $('password').value });
    access = r.accessToken;
    showStatus('');
    await show();
  } catch (err) {
    showStatus(err.message, true);
  }
});

show().catch((err) => showStatus(err.message, true));
