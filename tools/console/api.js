// The console's only way to the server: the public API, with the signed-in token.
const tokenKey = 'sluice.token';

export function token() { return sessionStorage.getItem(tokenKey) || ''; }
export function setToken(t) { t ? sessionStorage.setItem(tokenKey, t) : sessionStorage.removeItem(tokenKey); }
export function authHeaders() { return { Authorization: `Bearer ${token()}` }; }

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// Calls the API; resolves to the parsed JSON (null for an empty answer), rejects with ApiError.
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { ...authHeaders(), ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const e = json && json.error ? json.error : { code: String(res.status), message: res.statusText };
    throw new ApiError(res.status, e.code, e.message);
  }
  return json;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

export function showStatus(text, isError = false) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

// A list of <dt>/<dd> pairs from [label, value] entries.
export function fillList(dl, entries) {
  dl.replaceChildren();
  for (const [k, v] of entries) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
}

// Starts a download of `url` (a signed or share URL answering Content-Disposition: attachment).
export function download(url) {
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}
