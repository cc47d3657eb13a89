import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { analyzePage, type CheckItem } from './check.js';

/** One page to analyze (analyzePage's arguments). */
export interface AnalyzeJob {
  slug: string;
  content: string;
  meta: Record<string, unknown>;
  seo: Record<string, unknown>;
  siteUrl: string;
}

export interface CheckRequest {
  id: number;
  jobs: AnalyzeJob[];
}

export type CheckReply = { id: number; results: CheckItem[][] } | { id: number; error: string };

/**
 * Batches under this many characters are analyzed on the calling thread: a few milliseconds at most
 * (about 1 ms per 10 KB page, 6 ms at 32 KB), less than what a thread costs on a small machine (its
 * round trip, and its garbage collection running beside the next request on the same two cores).
 * Larger ones (a 2 MB page takes half a second) go to the worker, so the event loop never waits on them.
 */
export const INLINE_CHARS = 32 * 1024;

/**
 * Where the worker's code is: beside this module when compiled (dist/src), next to the bundle's
 * chunks or the bundle (dist/check-worker.mjs), or in the compiled tree when this module runs from
 * its TypeScript source (tests; the test setup builds dist first).
 */
function workerFile(): URL | undefined {
  for (const rel of ['./check-worker.js', './check-worker.mjs', '../check-worker.mjs', '../../../dist/src/core/sites/check-worker.js']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(u)) return u;
  }
  return undefined;
}

/** A worker thread and the batches it has not answered yet. */
interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: CheckItem[][]) => void; reject: (e: Error) => void }>;
  dead: boolean;
}

/** After this many threads in a row died without answering, pages are checked inline for good. */
const MAX_FAILURES = 3;

/**
 * Runs large page checks (analyzePage: parse5 with source positions) on one worker thread, so a
 * large page write, a bulk create or a site check never holds up the event loop that serves the
 * sites and the other requests. Started on the first large batch, kept while the process lives (unreferenced
 * when idle, so it never keeps a process alive); if the thread cannot start or dies, the pages are
 * analyzed on the calling thread instead and the next batch starts a new one, until three in a row
 * have died: then every check runs inline.
 */
export class CheckPool {
  private slot: Slot | undefined;
  private readonly file: URL | undefined;
  private nextId = 1;
  private failures = 0;

  constructor(private readonly opts: { inlineChars?: number; workerFile?: URL | null } = {}) {
    this.file = opts.workerFile === null ? undefined : (opts.workerFile ?? workerFile());
  }

  /** analyzePage for each job, in order. */
  async analyze(jobs: readonly AnalyzeJob[]): Promise<CheckItem[][]> {
    let chars = 0;
    for (const j of jobs) chars += j.content.length;
    if (chars < (this.opts.inlineChars ?? INLINE_CHARS) || !this.file || this.failures >= MAX_FAILURES) return inline(jobs);
    try {
      return await this.send([...jobs]);
    } catch {
      return inline(jobs);
    }
  }

  /** Whether a worker thread is running (tests). */
  get threaded(): boolean {
    return this.slot !== undefined;
  }

  async close(): Promise<void> {
    const s = this.slot;
    this.slot = undefined;
    if (s) await s.worker.terminate();
  }

  private send(jobs: AnalyzeJob[]): Promise<CheckItem[][]> {
    const s = this.start();
    const id = this.nextId++;
    return new Promise<CheckItem[][]>((resolve, reject) => {
      s.pending.set(id, { resolve, reject });
      if (s.pending.size === 1) s.worker.ref();
      s.worker.postMessage({ id, jobs } satisfies CheckRequest);
    });
  }

  private start(): Slot {
    if (this.slot) return this.slot;
    const s: Slot = { worker: new Worker(this.file!), pending: new Map(), dead: false };
    s.worker.unref();
    s.worker.on('message', (m: CheckReply) => {
      const p = s.pending.get(m.id);
      if (!p) return;
      s.pending.delete(m.id);
      if (s.pending.size === 0) s.worker.unref();
      this.failures = 0;
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.results);
    });
    // Only this thread's batches fail with it (a new thread may already hold the next ones).
    const fail = (e: Error): void => {
      if (this.slot === s) this.slot = undefined;
      if (!s.dead && s.pending.size > 0) this.failures++;
      s.dead = true;
      for (const p of s.pending.values()) p.reject(e);
      s.pending.clear();
    };
    s.worker.on('error', fail);
    s.worker.on('exit', (code) => fail(new Error(`page check worker exited with code ${code}`)));
    this.slot = s;
    return s;
  }
}

function inline(jobs: readonly AnalyzeJob[]): CheckItem[][] {
  return jobs.map((j) => analyzePage(j.slug, j.content, j.meta, j.seo, j.siteUrl));
}
