// The web console in a real browser: Debian's Chromium, headless, driven by playwright-core
// (SLUICE_CONSOLE_JS_DIR/node_modules). Signs in, uploads 20 MiB by tus (paused and resumed
// mid-way) and 12 MiB by Uppy's multipart plugin, downloads both byte-exact, renames, moves,
// trashes and restores one, opens a password share in a fresh context, checks a CORS preflight
// from another origin, and that the page logged no errors, had no failed requests and weighs
// < 100 KiB without Uppy. Prints one line per step; exits non-zero on the first failure.
// usage: node console_browser.mjs <base url> <token> <work dir> <allowed origin: http://127.0.0.1:<free port>>
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const [base, token, work, allowedOrigin] = process.argv.slice(2);
const require = createRequire(path.join(process.env.SLUICE_CONSOLE_JS_DIR, 'node_modules') + '/');
const { chromium } = require('playwright-core');
const MiB = 1024 * 1024;
const step = (what, extra = {}) => console.log(JSON.stringify({ step: what, ...extra }));
function check(ok, what) { if (!ok) throw new Error(`check failed: ${what}`); }
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

mkdirSync(work, { recursive: true });
const tusFile = path.join(work, 'tus-20MiB.bin');
const mpuFile = path.join(work, 'multipart-12MiB.bin');
writeFileSync(tusFile, randomBytes(20 * MiB));
writeFileSync(mpuFile, randomBytes(12 * MiB));
const want = { [path.basename(tusFile)]: sha256(readFileSync(tusFile)), [path.basename(mpuFile)]: sha256(readFileSync(mpuFile)) };

// A stuck step fails the run with what was seen so far, well before ctest's timeout.
const within = (promise, what, ms = 30000) => Promise.race([promise,
  new Promise((_, fail) => setTimeout(() => fail(new Error(`timed out: ${what}`)), ms).unref())]);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const problems = [];     // console errors, page errors, failed requests of the console's pages
const allowedAborts = [];  // the tus PATCH that pausing cancels, on purpose
let pausing = false;
function watch(page, label) {
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${label} console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${label} page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (pausing && r.method() === 'PATCH' && r.url().includes('/v1/tus/')) allowedAborts.push(r.url());
    else problems.push(`${label} request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${label} ${r.status()} for ${r.request().method()} ${r.url()}`); });
}
async function downloadSha(page, click) {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: dl.suggestedFilename(), sha: sha256(readFileSync(await dl.path())) };
}

try {
  // --- sign in; the page's own weight (everything under /console/ but Uppy)
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(30000);
  const page = await context.newPage();
  watch(page, 'console');
  const weights = [];
  page.on('response', async (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/console/') && !u.pathname.startsWith('/console/vendor/'))
      weights.push((await r.body().catch(() => Buffer.alloc(0))).length);
  });
  let tusUrl = '';
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/tus') tusUrl = new URL(r.headers().location, base).href;
  });
  await page.goto(`${base}/console/`);
  await page.getByLabel('Access token or API key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
  await page.locator('#quota-text').filter({ hasText: 'of' }).waitFor();
  step('signed in');

  // --- 20 MiB by tus: the second 5 MiB PATCH is held until the test has paused the upload
  let reached, release;
  const atGate = new Promise((r) => { reached = r; });
  const gate = new Promise((r) => { release = r; });
  let gated = false;
  await page.route('**/v1/tus/*', async (route) => {
    const req = route.request();
    if (req.method() === 'PATCH' && req.headers()['upload-offset'] === String(5 * MiB) && !gated) {
      gated = true;
      reached();
      await gate;
    }
    await route.continue().catch(() => {});  // cancelled by the pause: nothing to continue
  });
  await page.locator('.uppy-Dashboard-input').first().setInputFiles(tusFile);
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  await within(atGate, 'the second tus PATCH');
  await page.screenshot({ path: path.join(work, 'upload-mid.png'), fullPage: true });
  pausing = true;
  await page.getByRole('button', { name: /^pause/i }).first().click();
  await page.getByRole('button', { name: /^resume/i }).first().waitFor();
  release();
  await page.unroute('**/v1/tus/*');
  check(tusUrl, 'the tus POST answered a Location');
  const head = await fetch(tusUrl, { method: 'HEAD', headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' } });
  const pausedAt = Number(head.headers.get('upload-offset'));
  check(pausedAt > 0 && pausedAt < 20 * MiB, `paused mid-way (offset ${pausedAt})`);
  step('tus paused', { offset: pausedAt });
  pausing = false;
  await page.getByRole('button', { name: /^resume/i }).first().click();
  const tusRow = page.locator('#file-table').getByRole('button', { name: 'tus-20MiB.bin', exact: true });
  await tusRow.waitFor();
  step('tus resumed and listed');

  // --- 12 MiB by Uppy's AWS S3 plugin, parts PUT to presigned URLs
  await page.getByLabel('S3 multipart (presigned parts)').check();
  await page.locator('.uppy-Dashboard-input').first().setInputFiles(mpuFile);
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  const mpuRow = page.locator('#file-table').getByRole('button', { name: 'multipart-12MiB.bin', exact: true });
  await mpuRow.waitFor();
  await tusRow.waitFor();
  step('multipart listed');
  await page.screenshot({ path: path.join(work, 'file-browser.png'), fullPage: true });

  // --- both byte-exact through the console's Download (a signed URL)
  for (const [row, name] of [[tusRow, 'tus-20MiB.bin'], [mpuRow, 'multipart-12MiB.bin']]) {
    await row.click();
    await page.getByRole('heading', { name: `Details: ${name}` }).waitFor();
    const got = await downloadSha(page, () => page.getByRole('button', { name: 'Download' }).click());
    check(got.sha === want[name], `${name} downloads byte-exact`);
    step('downloaded', { name, sha256: got.sha });
  }

  // --- rename, move, trash, restore the tus file
  await tusRow.click();
  await page.getByRole('heading', { name: 'Details: tus-20MiB.bin' }).waitFor();
  await page.getByLabel('New name').fill('renamed.bin');
  await page.getByRole('button', { name: 'Rename', exact: true }).click();
  const renamed = page.locator('#file-table').getByRole('button', { name: 'renamed.bin', exact: true });
  await renamed.waitFor();
  await page.getByLabel('Move to folder').fill('/moved');
  await page.getByRole('button', { name: 'Move', exact: true }).click();
  await renamed.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: /^moved\/ \(1\)/ }).click();
  await renamed.waitFor();
  step('renamed and moved');
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await renamed.waitFor({ state: 'detached' });
  await page.getByLabel('Trash').check();
  await renamed.waitFor();
  await page.getByRole('button', { name: 'Restore' }).click();
  await renamed.waitFor({ state: 'detached' });
  await page.getByLabel('Trash').uncheck();
  await renamed.waitFor();  // back in /moved
  step('trashed and restored');

  // --- a password share, opened in a fresh context
  await page.getByLabel('Folder', { exact: true }).fill('/');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await mpuRow.waitFor();
  for (const [q, state] of [['zzz-no-such', 'detached'], ['MULTIPART', 'visible'], ['', 'visible']]) {
    await page.getByLabel('Search').fill(q);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await mpuRow.waitFor({ state });
  }
  step('searched');
  await mpuRow.click();
  await page.getByRole('heading', { name: 'Details: multipart-12MiB.bin' }).waitFor();
  await page.getByRole('button', { name: 'Favorite', exact: true }).click();
  await page.getByRole('button', { name: 'Unfavorite', exact: true }).waitFor();
  await page.getByLabel('Visibility').selectOption('public');
  await page.locator('#meta').getByText('public', { exact: true }).waitFor();
  step('favorite and public');
  await page.getByLabel('Password (optional)').fill('open sesame');
  await page.getByLabel('Download limit (optional)').fill('3');
  await page.getByRole('button', { name: 'Create share link' }).click();
  await page.locator('#share-result').waitFor();
  const link = await page.getByLabel('Share link').inputValue();
  check(/\/s\/[^/]+$/.test(link), `share link ${link}`);
  const visitor = await browser.newContext({ acceptDownloads: true, viewport: { width: 390, height: 800 } });
  visitor.setDefaultTimeout(30000);
  const sharePage = await visitor.newPage();
  watch(sharePage, 'share');
  await sharePage.goto(link);
  await sharePage.getByLabel(/password/i).fill('open sesame');
  await sharePage.getByRole('button', { name: 'Unlock' }).click();
  await sharePage.getByRole('heading', { name: 'multipart-12MiB.bin' }).waitFor();
  await sharePage.screenshot({ path: path.join(work, 'share-page.png'), fullPage: true });
  const shared = await downloadSha(sharePage, () => sharePage.getByRole('link', { name: 'Download' }).click());
  check(shared.sha === want['multipart-12MiB.bin'], 'the share downloads byte-exact');
  step('share unlocked and downloaded', { sha256: shared.sha });

  // --- CORS: a page of the allowed origin (another loopback port, served here, so Chromium's
  // local-network rules do not apply) calls the API; the browser preflights the call.
  const otherServer = createServer((req, res) => { res.setHeader('Content-Type', 'text/html'); res.end('<!doctype html><title>other</title>'); });
  await new Promise((ok) => otherServer.listen(Number(new URL(allowedOrigin).port), '127.0.0.1', ok));
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto(`${allowedOrigin}/`);
  const cross = await otherPage.evaluate(async ([url, tok]) => {
    const r = await fetch(url, { headers: { Authorization: `Bearer ${tok}` } });
    return { status: r.status, requestId: r.headers.get('x-request-id') };
  }, [`${base}/v1/quota`, token]);
  check(cross.status === 200 && cross.requestId, `cross-origin call allowed and X-Request-Id exposed: ${JSON.stringify(cross)}`);
  const pre = await fetch(`${base}/v1/files`, { method: 'OPTIONS', headers: { Origin: allowedOrigin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
  check(pre.status === 204 || pre.status === 200, `preflight status ${pre.status}`);
  check(pre.headers.get('access-control-allow-origin') === allowedOrigin, 'preflight allows the origin');
  const refused = await fetch(`${base}/v1/files`, { method: 'OPTIONS', headers: { Origin: 'http://refused.example', 'Access-Control-Request-Method': 'GET' } });
  check(refused.status === 403 && !refused.headers.get('access-control-allow-origin'), `another origin refused (${refused.status})`);
  otherServer.close();
  step('cors', { allowed: pre.status, refused: refused.status });

  // --- static serving: types, caching, CSP, traversal
  const index = await fetch(`${base}/console/`);
  const html = await index.text();
  check(index.headers.get('cache-control') === 'no-cache', 'index.html is revalidated');
  check((index.headers.get('content-security-policy') || '').includes("script-src 'self'"), 'index.html has a CSP');
  const version = /\/console\/([0-9a-f]{16})\/app\.js/.exec(html)[1];
  const app = await fetch(`${base}/console/${version}/app.js`);
  check(app.headers.get('content-type').startsWith('text/javascript'), 'app.js is JavaScript');
  check(app.headers.get('cache-control').includes('immutable'), 'versioned files are immutable');
  const uppyJs = await fetch(`${base}/console/vendor/${version}/uppy.min.js`);
  check(uppyJs.status === 200 && uppyJs.headers.get('cache-control').includes('immutable'), 'Uppy is served, immutable');
  // Raw paths (fetch would normalise dot segments before sending them).
  const raw = (p) => new Promise((ok, fail) => {
    const req = request(`${base}${p}`, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => ok({ status: res.statusCode, type: res.headers['content-type'], body }));
    });
    req.path = p;
    req.on('error', fail);
    req.end();
  });
  for (const [bad, status] of [[`/console/${version}/..%2F..%2Fetc%2Fpasswd`, 400], [`/console/${version}/%2e%2e`, 400],
    ['/console/..%2Fservice.cc', 400], [`/console/vendor/${version}/..%2Fpackage.json`, 400],
    [`/console/${version}/../../../etc/passwd`, 404], ['/console/../tools/console/app.js', 404]]) {
    const r = await raw(bad);
    check(r.status === status && r.type.startsWith('application/json') && JSON.parse(r.body).error.code,
      `${bad} refused with JSON ${status} (got ${r.status} ${r.type})`);
  }
  step('static', { version });

  // --- the page's own weight and hygiene
  const weight = weights.reduce((a, b) => a + b, 0);
  check(weight > 0 && weight < 100 * 1024, `console weight ${weight} bytes < 100 KiB`);
  check(allowedAborts.length <= 1, `only the paused PATCH was cancelled (${allowedAborts.length})`);
  check(problems.length === 0, `no console errors or failed requests:\n  ${problems.join('\n  ')}`);
  step('clean', { weightBytes: weight, screenshots: work });
  await browser.close();
} catch (e) {
  console.log(JSON.stringify({ failed: e.message }));
  console.error(e.stack || String(e));
  if (problems.length) console.error(`also seen:\n  ${problems.join('\n  ')}`);
  await browser.close();
  process.exitCode = 1;
} finally {
  for (const f of [tusFile, mpuFile]) rmSync(f, { force: true });  // keep only the screenshots
}
process.exit(process.exitCode ?? 0);  // the "other origin" server may still listen after a failure
