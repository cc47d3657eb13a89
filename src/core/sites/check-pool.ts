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

/**
 * Runs large page checks (analyzePage: parse5 with source positions) on one worker thread, so a
 * large page write, a bulk create or a site check never holds up the event loop that serves the
 * sites and the other requests. Started on the first large batch, kept while the process lives (unreferenced
 * when idle, so it never keeps a process alive); if the thread cannot start or dies, the pages are
 * analyzed on the calling thread instead, and the next batch starts a new one.
 */
export class CheckPool {
  private worker: Worker | undefined;
  private readonly file: URL | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CheckItem[][]) => void; reject: (e: Error) => void }>();

  constructor(private readonly opts: { inlineChars?: number; workerFile?: URL | null } = {}) {
    this.file = opts.workerFile === null ? undefined : (opts.workerFile ?? workerFile());
  }

  /** analyzePage for each job, in order. */
  async analyze(jobs: readonly AnalyzeJob[]): Promise<CheckItem[][]> {
    let chars = 0;
    for (const j of jobs) chars += j.content.length;
    if (chars < (this.opts.inlineChars ?? INLINE_CHARS) || !this.file) return inline(jobs);
    try {
      return await this.send([...jobs]);
    } catch {
      return inline(jobs);
    }
  }

  /** Whether a worker thread is running (tests). */
  get threaded(): boolean {
    return this.worker !== undefined;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private send(jobs: AnalyzeJob[]): Promise<CheckItem[][]> {
    const w = this.start();
    const id = this.nextId++;
    return new Promise<CheckItem[][]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) w.ref();
      w.postMessage({ id, jobs } satisfies CheckRequest);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.file!);
    w.unref();
    w.on('message', (m: CheckReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.results);
    });
    const fail = (e: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`page check worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }
}

function inline(jobs: readonly AnalyzeJob[]): CheckItem[][] {
  return jobs.map((j) => analyzePage(j.slug, j.content, j.meta, j.seo, j.siteUrl));
}
