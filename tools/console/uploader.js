// Uppy on the upload page: tus (/v1/tus) or S3-style multipart with presigned parts (/v1/uploads),
// both through the public API. Uppy's AWS S3 plugin is pinned (tools/services.sh): its
// callbacks (createMultipartUpload, signPart, listParts, completeMultipartUpload,
// abortMultipartUpload) are the 4.x/5.x API, replaced by signRequest in later majors.
import { api, authHeaders } from './api.js';

const MiB = 1024 * 1024;
// Uppy cuts parts before it creates the upload, so the page picks the size and tells the server.
const partSize = (file) => Math.max(5 * MiB, Math.ceil(file.size / 10000));
// Headers a page may not set (the browser sends them itself).
const forbidden = new Set(['content-length', 'host', 'connection']);

const multipart = {
  shouldUseMultipart: () => true,
  getChunkSize: partSize,
  async createMultipartUpload(file) {
    const up = await api('POST', '/v1/uploads', {
      path: file.meta.path || '/', name: file.name, size: file.size,
      contentType: file.type || 'application/octet-stream', partSize: partSize(file),
    });
    return { uploadId: up.uploadId, key: up.uploadId };
  },
  async signPart(file, { uploadId, partNumber }) {
    const s = await api('POST', `/v1/uploads/${encodeURIComponent(uploadId)}/parts/${partNumber}/url`, {});
    const headers = {};
    for (const [k, v] of Object.entries(s.headers || {})) if (!forbidden.has(k.toLowerCase())) headers[k] = v;
    return { url: s.url, method: s.method || 'PUT', headers };
  },
  async listParts(file, { uploadId }) {
    const up = await api('GET', `/v1/uploads/${encodeURIComponent(uploadId)}`);
    return up.parts.map((p) => ({ PartNumber: p.partNumber, Size: p.size, ETag: p.etag }));
  },
  async completeMultipartUpload(file, { uploadId, parts }) {
    const body = { parts: parts.map((p) => ({ partNumber: p.PartNumber, etag: p.ETag })) };
    const f = await api('POST', `/v1/uploads/${encodeURIComponent(uploadId)}/complete`, body);
    return { location: `/v1/files/${f.id}` };
  },
  async abortMultipartUpload(file, { uploadId }) {
    await api('DELETE', `/v1/uploads/${encodeURIComponent(uploadId)}`);
  },
};

// `concurrency()`: how many part PUTs may run at once (the account's maxConcurrentUploads; more
// would be refused with 429).
export function createUploader({ target, folder, onUploaded, concurrency }) {
  const { Uppy, Dashboard, Tus, AwsS3 } = window.Uppy;
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(Dashboard, { target, inline: true, height: 320, width: '100%', proudlyDisplayPoweredByUppy: false,
    showProgressDetails: true });
  uppy.on('file-added', (file) => uppy.setFileMeta(file.id, {
    path: folder(), filename: file.name, filetype: file.type || 'application/octet-stream' }));
  uppy.on('complete', (result) => { if (result.successful && result.successful.length) onUploaded(); });

  const useProtocol = (name) => {
    // Files of the other protocol's batch are done (or dropped): start from an empty dashboard.
    if (!uppy.getFiles().some((f) => f.progress.uploadStarted && !f.progress.uploadComplete)) uppy.clear();
    for (const id of ['Tus', 'AwsS3']) { const p = uppy.getPlugin(id); if (p) uppy.removePlugin(p); }
    if (name === 'tus') {
      uppy.use(Tus, {
        endpoint: new URL('/v1/tus', location.origin).href,
        headers: () => authHeaders(),
        chunkSize: 5 * MiB,  // progress survives an interruption at a chunk boundary
        retryDelays: [0, 1000, 3000],
        removeFingerprintOnSuccess: true,
        allowedMetaFields: ['filename', 'path', 'filetype'],
        limit: Math.max(1, concurrency()),
      });
    } else {
      uppy.use(AwsS3, { ...multipart, limit: Math.max(1, concurrency()) });
    }
  };
  useProtocol('tus');
  return { uppy, useProtocol };
}
