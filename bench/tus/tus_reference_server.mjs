// The reference tus server for bench/tus_side_by_side.sh: @tus/server with @tus/file-store (it
// spools to disk, as Sluice's local store writes to disk), on 127.0.0.1:$PORT under /files.
// argv: port directory. SLUICE_TUS_JS_DIR finds the npm packages.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.SLUICE_TUS_JS_DIR || process.cwd(), 'node_modules', 'x.js'));
const { Server } = require('@tus/server');
const { FileStore } = require('@tus/file-store');

const [port, directory] = process.argv.slice(2);
const server = new Server({ path: '/files', datastore: new FileStore({ directory }) });
server.listen({ host: '127.0.0.1', port: Number(port) }, () => console.log(`listening on ${port}`));
