import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Anchor for the large-file bench: a bare Node http server that streams a PUT body to a file on
 * disk and serves it back with `Range: bytes=N-` (Node's own streams, nothing else): what Node
 * itself costs in memory to move the same bytes.
 */
const [port, dir] = process.argv.slice(2);
const file = path.join(dir!, 'upload.bin');

createServer((req, res) => {
  if (req.method === 'PUT') {
    pipeline(req, createWriteStream(file)).then(
      () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"success":true}'),
      () => res.writeHead(500).end(),
    );
    return;
  }
  const size = statSync(file).size;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  res.writeHead(m ? 206 : 200, { 'content-length': size - start, etag: '"bare"', ...(m ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}) });
  pipeline(createReadStream(file, { start }), res).catch(() => undefined);
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
