import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';

/** Anchor: a bare Node http server holding the same bytes in memory, one process per worker. */
const [port, workers, root, ...files] = process.argv.slice(2);
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.png': 'image/png' };
const bodies = new Map<string, { body: Buffer; type: string }>();
for (const f of files) bodies.set(`/${f}`, { body: readFileSync(path.join(root!, f)), type: TYPES[path.extname(f)] ?? 'application/octet-stream' });

if (cluster.isPrimary && Number(workers) > 1) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let up = 0;
  for (let i = 0; i < Number(workers); i++) cluster.fork().on('listening', () => ++up === Number(workers) && console.log('ready'));
} else {
  createServer((req, res) => {
    const f = bodies.get(req.url ?? '');
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type, 'content-length': f.body.length });
    res.end(f.body);
  }).listen(Number(port), '127.0.0.1', () => {
    if (!cluster.isWorker) console.log('ready');
  });
}
