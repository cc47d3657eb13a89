import { parentPort } from 'node:worker_threads';
import { analyzePage } from './check.js';
import type { AnalyzeJob, CheckReply, CheckRequest } from './check-pool.js';

/** The check pool's thread (check-pool.ts): parses pages with parse5 while the server's event loop goes on. */
const port = parentPort;
if (!port) throw new Error('check-worker runs as a worker thread of the check pool');
port.on('message', ({ id, jobs }: CheckRequest) => {
  let reply: CheckReply;
  try {
    reply = { id, results: jobs.map((j: AnalyzeJob) => analyzePage(j.slug, j.content, j.meta, j.seo, j.siteUrl)) };
  } catch (e) {
    reply = { id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
