import cluster from 'node:cluster';
import { createServer } from 'node:http';

/** Anchor: a bare Node http server holding the same bytes in memory, one process per worker. */
const [port, workers, ...files] = process.argv.slice(2);
const bodies = new Map<string, { body: Buffer; type: string }>();
for (let i = 0; i < files.length; i += 3) bodies.set(files[i]!, { body: Buffer.from(files[i + 1]!, 'base64'), type: files[i + 2]! });

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
