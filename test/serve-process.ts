import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

/**
 * The one way tests run the built CLI as a server: `sitepub serve` in a child process, ready once
 * it prints its "listening on" line, stopped (and awaited) on teardown. The global setup makes sure
 * the bundle is current before any file runs.
 */

/** The bundle `npm run build` makes, as a user runs it after `npm install`. */
export const CLI = path.resolve('dist/sitepub.mjs');

/** What `sitepub serve` prints once it accepts connections; the group is the port. */
export const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * This process's environment without anything that configures sitepub (every SITEPUB_* variable,
 * DATABASE_URL, PORT, HOST), so a developer's shell never leaks into a test; then `overrides`
 * (undefined removes).
 */
export function cliEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('SITEPUB_') || k === 'DATABASE_URL' || k === 'PORT' || k === 'HOST') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface ServeOptions {
  /** Arguments after `serve`. `--port 0` (a free port) is added unless they name a port. */
  args?: readonly string[];
  /** The data folder. Without one, a new temporary folder, which stop() removes. */
  dataDir?: string;
  /** Set on top of cliEnv() (undefined removes). */
  env?: Record<string, string | undefined>;
  /** The output that means ready; default LISTENING. A first group, if any, is the port. */
  ready?: RegExp;
  /** How long to wait for `ready` before failing with the output so far; default 20 s. */
  timeoutMs?: number;
}

export interface ServeProcess {
  readonly proc: ChildProcess;
  /** The port from the ready line, else from `--port`. */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly dataDir: string;
  /** stdout and stderr so far (interleaved as they arrive). */
  output(): string;
  /** The token and project of the first-start banner; throws, with the output, if there was none. */
  firstRun(): { token: string; projectId: string };
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited and a temporary data folder is gone. */
  stop(): Promise<void>;
}

/** Children still running, killed if this worker exits without stopping them (a failed beforeAll, a crash). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(proc: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** Starts `sitepub serve` and resolves once it is ready. A start that fails or exits early rejects with what it printed. */
export async function startServe(options: ServeOptions = {}): Promise<ServeProcess> {
  const ready = options.ready ?? LISTENING;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const madeDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'sitepub-serve-'));
  const args = [...(options.args ?? [])];
  if (!args.includes('--port')) args.push('--port', '0');
  const proc = spawn(process.execPath, [CLI, 'serve', '--data', dataDir, ...args], { env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(proc);
  let out = '';
  const output = (): string => out;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const hard = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited(proc);
        clearTimeout(hard);
      }
      if (madeDir) rmSync(dataDir, { recursive: true, force: true });
    })());

  let match: RegExpExecArray;
  try {
    match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not print ${ready} within ${timeoutMs} ms`), timeoutMs);
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = ready.exec(out);
        if (m) {
          clearTimeout(timer);
          proc.off('close', onExit);
          resolve(m);
        }
      };
      // 'close', not 'exit': by then everything it printed has been read.
      const onExit = (code: number | null, signal: string | null): void => fail(`exited (${signal ?? `code ${code}`}) before it was ready`);
      function fail(why: string): void {
        clearTimeout(timer);
        reject(new Error(`sitepub serve ${args.join(' ')} ${why}. Its output:\n${out}`));
      }
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('close', onExit);
      proc.once('error', (e) => fail(`could not start (${e.message})`));
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const port = Number(match[1] ?? args[args.indexOf('--port') + 1]);
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    output,
    firstRun: () => {
      const token = /Token:\s+(spp_\S+)/.exec(out)?.[1];
      const projectId = /Project:\s+(prj_\S+)/.exec(out)?.[1];
      if (!token || !projectId) throw new Error(`sitepub serve printed no first-start banner. Its output:\n${out}`);
      return { token, projectId };
    },
    stop,
  };
}

/**
 * A tool's REST route on a started server with a project's token (what an assistant's call does):
 * the answer's data; the test fails unless the envelope says success.
 */
export async function restData(where: { base: string; projectId: string; token: string }, method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${where.base}/papi/project/${where.projectId}${p}`, { method, headers: { authorization: `Bearer ${where.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await r.json()) as { success: boolean; data: Record<string, unknown> };
  expect(json.success, JSON.stringify(json)).toBe(true);
  return json.data;
}
