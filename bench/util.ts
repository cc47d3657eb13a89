import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Starts a process and resolves once a line matches; rejects on exit or timeout. */
export function startUntil(cmd: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<{ proc: ChildProcess; out: string; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => reject(new Error(`${cmd} did not start:\n${out}`)), 30_000);
    const on = (d: Buffer): void => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ proc, out, match: m });
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${cmd} exited with ${code}:\n${out}`));
    });
  });
}

export interface WrkResult {
  rps: number;
  requests: number;
  non2xx: number;
  p50ms: number;
}

/** Runs wrk (2 threads, 64 connections) and parses its summary. Load only ever goes to loopback. */
export function wrk(url: string, seconds: number, headers: Record<string, string> = {}): WrkResult {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`refusing to load a non-loopback URL: ${url}`);
  const args = ['-t2', '-c64', `-d${seconds}s`, '--latency'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const p50ms = p50 ? Number(p50[1]) * (p50[2] === 'us' ? 0.001 : p50[2] === 's' ? 1000 : 1) : 0;
  return { rps, requests, non2xx, p50ms };
}

/** Resident memory (MB) of a process, from /proc. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function childPids(pid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

export interface Row {
  what: string;
  sitepub: string;
  anchor: string;
  ratio: string;
  goal: string;
  met: boolean | null;
  note?: string;
}

export function printTable(rows: Row[]): string {
  const head = ['comparison', 'sitepub', 'anchor', 'ratio', 'goal', 'met'];
  const body = rows.map((r) => [r.what, r.sitepub, r.anchor, r.ratio, r.goal, r.met === null ? 'n/a' : r.met ? 'yes' : 'NO']);
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((b) => `| ${b.join(' | ')} |`)];
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.what}: ${r.note}`);
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** Benchmarks talk to loopback only: any other URL is refused before a byte is sent. */
export function loopback(url: string): URL {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`refusing a non-loopback URL: ${url}`);
  return u;
}

/** REST call on a fresh connection (pooled keep-alive sockets may be closed by the server between rounds); resolves `data`, rejects with the error. */
export function api(base: string, token: string, method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const u = loopback(`${base}${p}`);
  const data = body ? Buffer.from(JSON.stringify(body)) : undefined;
  return new Promise((resolve, reject) => {
    const r = request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(data ? { 'content-length': data.length } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const j = JSON.parse(Buffer.concat(chunks).toString()) as { success: boolean; data: Record<string, unknown>; error?: unknown };
          if (j.success) resolve(j.data);
          else reject(new Error(`${method} ${p}: ${JSON.stringify(j.error)}`));
        });
      },
    );
    r.on('error', reject);
    r.end(data);
  });
}
