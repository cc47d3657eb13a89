import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Runs once, before any test file: several tests spawn the built CLI (dist/sitepub.mjs), and a
 * bundle older than the code would test yesterday's program while reporting today's. When any
 * input of the build is newer than the bundle, this builds (`npm run build`, printed) and the run
 * goes on; a failed build fails the run with its output. SITEPUB_TEST_BUILD=0 turns the build off:
 * a stale bundle then fails the run, saying which file is newer.
 *
 * `npm test` builds first, so here it only compares modification times (about 100 stat calls, a
 * few milliseconds). It builds before any test file starts, never during the run. Two runs in one
 * checkout (engineers side by side) take turns through a lock folder; the second re-checks after
 * the first built.
 */

const BUNDLE = 'dist/sitepub.mjs';
/** Everything `npm run build` reads: tsc's inputs (tsconfig.build.json), the bundler and its dependencies. */
const INPUTS = ['src', 'tools', 'schemas', 'bench', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/bundle.mjs'];
const LOCK = 'dist/.build-lock';
const LOCK_WAIT_MS = 5 * 60_000;
/** A lock older than this was left by a run that died mid-build. */
const LOCK_STALE_MS = 10 * 60_000;

interface Newest {
  file: string;
  mtimeMs: number;
}

function newestUnder(p: string, best: Newest): Newest {
  if (!existsSync(p)) return best;
  const st = statSync(p);
  if (st.isDirectory()) {
    for (const name of readdirSync(p)) best = newestUnder(path.join(p, name), best);
    return best;
  }
  return st.mtimeMs > best.mtimeMs ? { file: p, mtimeMs: st.mtimeMs } : best;
}

/** Why the bundle is out of date, or undefined when it is newer than every input. */
export function staleReason(): string | undefined {
  if (!existsSync(BUNDLE)) return `${BUNDLE} does not exist`;
  const built = statSync(BUNDLE).mtimeMs;
  const newest = INPUTS.reduce<Newest>((best, p) => newestUnder(p, best), { file: '', mtimeMs: 0 });
  if (newest.mtimeMs > built) return `${newest.file} changed after ${BUNDLE} was built`;
  return undefined;
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function takeLock(): void {
  mkdirSync('dist', { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      if (Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) rmdirSync(LOCK);
    } catch {
      // Released between the two calls: take it on the next turn.
    }
    if (Date.now() > deadline) throw new Error(`Another test run has been building for ${LOCK_WAIT_MS / 60_000} minutes (${LOCK} exists). Remove it if no build is running.`);
    sleep(250);
  }
}

function build(reason: string): void {
  console.log(`[global-setup] ${reason}: running npm run build`);
  const started = Date.now();
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { encoding: 'utf8', env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } });
  if (r.status !== 0) {
    throw new Error(`[global-setup] ${reason}, and npm run build failed (${r.error?.message ?? `exit ${r.status}`}). Tests of the built CLI would run old code; fix the build first.\n${r.stdout}${r.stderr}`);
  }
  console.log(`[global-setup] built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export default function setup(): void {
  const reason = staleReason();
  if (!reason) return;
  if (process.env.SITEPUB_TEST_BUILD === '0') {
    throw new Error(`[global-setup] ${reason}. Run npm run build (or unset SITEPUB_TEST_BUILD to let the tests build).`);
  }
  takeLock();
  try {
    const still = staleReason(); // another run may have built while this one waited
    if (still) build(still);
  } finally {
    rmdirSync(LOCK);
  }
  // Only an edit made while the build ran (or a modification time in the future) gets here: the
  // bundle has the code as it was when this run started, like the test files themselves. Say so.
  const after = staleReason();
  if (after) console.warn(`[global-setup] ${after} (during the build): the CLI tests run the code as it was when the build started.`);
}
