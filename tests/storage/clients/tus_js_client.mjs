// Uploads files with tus-js-client under Node to a tus endpoint, as tus_clients_test asks.
// argv: endpoint token cases.json; NODE_PATH (or SLUICE_TUS_JS_DIR) finds tus-js-client. Each case:
// {"name", "path", "chunk" (0: the default, one PATCH for the whole file), "interrupt" (bytes after
// which the upload is aborted mid-PATCH, cutting the connection; it then resumes by its URL)}.
// Prints one JSON line per case: {"name", "fileId" (Sluice-File-Id of the last PATCH), "headFileId",
// "offset" (HEAD's at the end), "resumedFrom" (HEAD's offset after the interruption)}.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.SLUICE_TUS_JS_DIR || process.cwd(), 'node_modules', 'x.js'));
const tus = require('tus-js-client');

const [endpoint, token, casesPath] = process.argv.slice(2);
const headers = { Authorization: `Bearer ${token}` };

function run(c, uploadUrl, abortAt) {
  return new Promise((resolve, reject) => {
    let fileId = '';
    const data = fs.readFileSync(c.path);
    const opts = {
      endpoint,
      uploadUrl,
      headers,
      metadata: { filename: c.name, filetype: 'application/octet-stream' },
      retryDelays: [0, 200, 500, 1000],
      onAfterResponse(req, res) {
        const id = res.getHeader('Sluice-File-Id');
        if (id) fileId = id;
      },
      onError: reject,
      onSuccess: () => resolve({ url: upload.url, fileId }),
    };
    if (c.chunk) opts.chunkSize = c.chunk;
    let upload;
    if (abortAt) {
      opts.onProgress = (sent) => {
        if (sent >= abortAt && upload) {
          const u = upload;
          upload = null;
          u.abort().then(() => resolve({ url: u.url, fileId: '', aborted: true }));
        }
      };
    }
    upload = new tus.Upload(data, opts);
    upload.start();
  });
}

const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
async function headOffset(url) {
  const head = await fetch(url, { method: 'HEAD', headers: { ...headers, 'Tus-Resumable': '1.0.0' } });
  return Number(head.headers.get('upload-offset'));
}

for (const c of cases) {
  let url;
  let resumedFrom = 0;
  const started = performance.now();
  if (c.interrupt) {
    const first = await run(c, undefined, c.interrupt);
    if (!first.aborted) throw new Error(`${c.name}: the upload ended before it could be interrupted`);
    url = first.url;
    resumedFrom = await headOffset(url);
  }
  const done = await run(c, url, 0);
  const head = await fetch(done.url, { method: 'HEAD', headers: { ...headers, 'Tus-Resumable': '1.0.0' } });
  console.log(JSON.stringify({ name: c.name, fileId: done.fileId, headFileId: head.headers.get('sluice-file-id') || '',
                               offset: head.headers.get('upload-offset') || '', resumedFrom,
                               seconds: Math.round(performance.now() - started) / 1000 }));
}
