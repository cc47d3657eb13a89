import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync, statSync, writeSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../src/server.js';
import { api, loopback, rssMb, startUntil, type Row } from './util.js';

const CLI = path.resolve('dist/sitepub.mjs');
const BARE = path.resolve('dist/bench/anchors/bare-node-files.js');
const MB = 1024 * 1024;

/** Resident memory a serving process may reach while a large file goes in and out (issue #15). */
const GOAL_MB = 150;

interface Sampler {
  stop(): { peak: number; samples: number };
}

/** Samples a process's VmRSS every 10 ms until stopped (a 200 MB download on loopback takes a fraction of a second). */
function sample(pid: number): Sampler {
  let peak = 0;
  let samples = 0;
  const t = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
    samples++;
  }, 10);
  return {
    stop: () => {
      clearInterval(t);
      peak = Math.max(peak, rssMb(pid));
      return { peak, samples: samples + 1 };
    },
  };
}

/** A file of `size` bytes that file-type takes for an MP4 (an ftyp box, then noise), written in 1 MiB steps; its SHA-256. */
function makeVideo(file: string, size: number): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'w');
  try {
    const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(4), Buffer.from('isom', 'latin1')]);
    const block = randomBytes(MB);
    for (let at = 0; at < size; at += MB) {
      let piece = block.subarray(0, Math.min(MB, size - at));
      if (at === 0) piece = Buffer.concat([ftyp, piece.subarray(ftyp.length)]);
      // Each MiB differs (its number written into it): the file is not one MiB repeated.
      else piece.writeUInt32BE(at / MB, 0);
      hash.update(piece);
      writeSync(fd, piece);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}


/** PUTs a file from disk, streamed, to an upload URL (the curl -T of the tool's answer); the parsed answer. */
function putFile(url: string, file: string): Promise<{ status: number; body: { success: boolean; data?: Record<string, unknown>; error?: unknown } }> {
  const u = loopback(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', agent: false, headers: { 'content-length': statSync(file).size } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    r.on('error', reject);
    createReadStream(file).pipe(r);
  });
}

function get(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  const u = loopback(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'GET', agent: false, headers: { 'user-agent': 'bench-download/1', ...headers } }, resolve);
    r.on('error', reject);
    r.end();
  });
}

export interface LargeFileResult {
  rows: Row[];
}

interface Transfer {
  idle: number;
  upPeak: number;
  downPeak: number;
  upSec: number;
  downSec: number;
  /** Bytes received before the first transfer was cut. */
  cutAt: number;
  same: boolean;
  samples: number;
}

/**
 * The same moves for sitepub and the anchor: PUT the file from disk (streamed), then GET it, cut
 * the transfer halfway, resume with `Range: bytes=N-` and If-Range, and hash what arrived. The
 * process's resident memory is sampled through both.
 */
async function transfer(pid: number, f: { file: string; size: number; sha: string }, uploadUrl: string, downloadUrl: () => Promise<string>): Promise<Transfer> {
  const idle = rssMb(pid);
  let s = sample(pid);
  let t = performance.now();
  const put = await putFile(uploadUrl, f.file);
  const upSec = (performance.now() - t) / 1000;
  const upMem = s.stop();
  if (put.status !== 201 || !put.body.success) throw new Error(`upload failed: ${put.status} ${JSON.stringify(put.body).slice(0, 300)}`);
  const dl = await downloadUrl();
  const hash = createHash('sha256');
  s = sample(pid);
  t = performance.now();
  const first = await get(dl, {});
  if (first.statusCode !== 200) throw new Error(`download answered ${first.statusCode}`);
  const etag = String(first.headers.etag);
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    first.on('data', (c: Buffer) => {
      if (got >= f.size / 2) return;
      hash.update(c);
      got += c.length;
      // The transfer breaks halfway (the client goes away).
      if (got >= f.size / 2) {
        first.destroy();
        resolve();
      }
    });
    first.on('error', () => undefined);
    first.on('end', () => reject(new Error('the first transfer was not cut')));
  });
  const rest = await get(dl, { range: `bytes=${got}-`, 'if-range': etag });
  if (rest.statusCode !== 206) throw new Error(`resume answered ${rest.statusCode}`);
  for await (const c of rest) hash.update(c as Buffer);
  const downSec = (performance.now() - t) / 1000;
  const downMem = s.stop();
  return { idle, upPeak: upMem.peak, downPeak: downMem.peak, upSec, downSec, cutAt: got, same: hash.digest('hex') === f.sha, samples: upMem.samples + downMem.samples };
}

/**
 * A seller's 200 MB video course, as a new user would move it: an upload URL from the API, the file
 * PUT to it from disk (streamed), a download link, a transfer cut in the middle and resumed with
 * Range; the bytes checked (SHA-256) and the server's resident memory sampled all along. Runs on
 * SQLite, and on PostgreSQL too when DATABASE_URL is set (in a schema of its own, dropped after).
 * The anchor: a bare Node server moving the same bytes to and from disk with Node's own streams.
 * Everything stays on loopback.
 */
export async function benchLargeFile(opts: { sizeMb: number }): Promise<LargeFileResult> {
  const rows: Row[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-bench-large-'));
  try {
    const file = path.join(dir, 'course.mp4');
    const size = opts.sizeMb * MB;
    const sha = makeVideo(file, size);
    const f = { dir, file, size, sha };
    const anchor = await bareNode(f);
    rows.push(await runOn('SQLite', f, {}, anchor));
    const url = process.env.DATABASE_URL;
    if (url && /^postgres(ql)?:\/\//.test(url)) {
      const pg = (await import('pg')).default;
      const schema = `bench_large_${Date.now().toString(36)}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      try {
        const scoped = new URL(url);
        scoped.searchParams.set('options', `-c search_path=${schema}`);
        rows.push(await runOn('PostgreSQL', f, { DATABASE_URL: scoped.href }, anchor));
      } finally {
        await admin.query(`drop schema ${schema} cascade`);
        await admin.end();
      }
    } else {
      rows.push({ what: 'large file on PostgreSQL', sitepub: 'not run', anchor: 'set DATABASE_URL', ratio: '', goal: '', met: null });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows };
}

async function bareNode(f: { dir: string; file: string; size: number; sha: string }): Promise<Transfer> {
  const port = await freePort('127.0.0.1');
  const p = await startUntil(process.execPath, [BARE, String(port), f.dir], /ready/);
  try {
    const base = `http://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 300));
    return await transfer(p.proc.pid!, f, `${base}/upload/x`, async () => `${base}/d/x`);
  } finally {
    p.proc.kill('SIGTERM');
  }
}

async function runOn(engine: string, f: { dir: string; file: string; size: number; sha: string }, extraEnv: Record<string, string>, anchor: Transfer): Promise<Row> {
  const env: NodeJS.ProcessEnv = { ...process.env, SITEPUB_LOG_LEVEL: 'warn', ...extraEnv };
  if (!extraEnv.DATABASE_URL) delete env.DATABASE_URL;
  const data = path.join(f.dir, `data-${engine}`);
  const sp = await startUntil(process.execPath, [CLI, 'serve', '--port', '0', '--data', data], /listening on http:\/\/127\.0\.0\.1:(\d+)/, env);
  try {
    const base = `http://127.0.0.1:${sp.match[1]}`;
    const token = /Token:\s+(spp_\S+)/.exec(sp.out)![1]!;
    const project = /Project:\s+(prj_\S+)/.exec(sp.out)![1]!;
    await api(base, token, 'GET', `/papi/project/${project}/status`);
    await new Promise((r) => setTimeout(r, 300));
    // The tool's answer (its upload_url names SITEPUB_PUBLIC_URL; the bench talks to the port it got).
    const up = await api(base, token, 'POST', `/papi/project/${project}/assets/upload-url`, { slug: 'course/video.mp4', private: true });
    const uploadUrl = String(up.upload_url).replace(/^https?:\/\/[^/]+/, base);
    // A one-use link: the resume must ride the first use.
    const link = async (): Promise<string> => {
      const g = await api(base, token, 'POST', `/iapi/project/${project}/file-downloads/generate-token`, { asset_url: '/course/video.mp4', max_uses: 1 });
      return `${base}${new URL(String(g.download_url)).pathname}`;
    };
    const r = await transfer(sp.proc.pid!, f, uploadUrl, link);
    const listed = await api(base, token, 'GET', `/iapi/project/${project}/file-downloads/list-downloads?limit=1`);
    const uses = (listed.downloads as Array<{ use_count: number }>)[0]!.use_count;
    const mb = f.size / MB;
    const peak = Math.max(r.upPeak, r.downPeak);
    const anchorPeak = Math.max(anchor.upPeak, anchor.downPeak);
    const grow = peak - r.idle;
    const anchorGrow = anchorPeak - anchor.idle;
    return {
      what: `${mb} MB private file, upload URL in, link out with a Range resume (${engine}): serve's resident memory`,
      sitepub: `peak ${peak.toFixed(0)} MB (idle ${r.idle.toFixed(0)}, +${grow.toFixed(0)})`,
      anchor: `peak ${anchorPeak.toFixed(0)} MB (idle ${anchor.idle.toFixed(0)}, +${anchorGrow.toFixed(0)}) (bare Node, disk)`,
      ratio: '',
      goal: `< ${GOAL_MB} MB`,
      met: peak < GOAL_MB && r.same && uses === 1,
      note:
        `${engine}: upload ${(mb / r.upSec).toFixed(0)} MB/s (peak ${r.upPeak.toFixed(0)} MB), download ${(mb / r.downSec).toFixed(0)} MB/s (peak ${r.downPeak.toFixed(0)} MB; cut at ${(r.cutAt / MB).toFixed(0)} MB and resumed); ` +
        `bytes ${r.same ? 'identical (SHA-256)' : 'DIFFER'}; the one-use link's use_count is ${uses} after the resume; ${r.samples} memory samples. ` +
        `Bare Node moving the same file to and from disk: upload ${(mb / anchor.upSec).toFixed(0)} MB/s, download ${(mb / anchor.downSec).toFixed(0)} MB/s, bytes ${anchor.same ? 'identical' : 'DIFFER'}`,
    };
  } finally {
    sp.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
  }
}
