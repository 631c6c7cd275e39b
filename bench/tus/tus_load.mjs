// Drives a tus server with tus-js-client under Node for bench/tus_side_by_side.sh: `uploads`
// uploads of `size` bytes in `chunk`-byte PATCHes, `concurrency` at a time, from one shared buffer.
// argv: endpoint concurrency uploads size chunk [token]. Prints one JSON line: uploads, errors,
// seconds, MBps (file bytes of successful uploads / elapsed), PATCH latency p50/p99 in ms.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.SLUICE_TUS_JS_DIR || process.cwd(), 'node_modules', 'x.js'));
const tus = require('tus-js-client');

const [endpoint, concurrencyText, uploadsText, sizeText, chunkText, token] = process.argv.slice(2);
const concurrency = Number(concurrencyText), total = Number(uploadsText), size = Number(sizeText);
const chunk = Number(chunkText);
const data = Buffer.alloc(size, 0x5a);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const latencies = [];
let ok = 0, errors = 0, started = 0;
let firstError = '';

function one(i) {
  return new Promise((resolve) => {
    const begun = new Map();
    const upload = new tus.Upload(data, {
      endpoint, headers, chunkSize: chunk, retryDelays: [],
      metadata: { filename: `bench-${process.pid}-${i}.bin`, filetype: 'application/octet-stream' },
      onBeforeRequest(req) { begun.set(req, performance.now()); },
      onAfterResponse(req, res) {
        if (req.getMethod() === 'PATCH' && begun.has(req)) latencies.push(performance.now() - begun.get(req));
      },
      onError(e) { errors++; if (!firstError) firstError = String(e).slice(0, 300); resolve(); },
      onSuccess() { ok++; resolve(); },
    });
    upload.start();
  });
}

async function worker() {
  while (started < total) {
    const i = started++;
    await one(i);
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
const seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
console.log(JSON.stringify({ uploads: ok, errors, seconds: +seconds.toFixed(2),
  MBps: +((ok * size) / 1e6 / seconds).toFixed(1), patches: latencies.length,
  p50ms: +pct(0.5).toFixed(1), p99ms: +pct(0.99).toFixed(1), firstError }));
