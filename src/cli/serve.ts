import cluster from 'node:cluster';
import type { ToolFilter } from '../../tools/index.js';
import { ensureFirstOwner, ensureFirstProject, openCore } from '../bootstrap.js';
import { loadSettings, type Settings } from '../config.js';
import type { Core } from '../core/core.js';
import { createLogger, type Logger } from '../log.js';
import { freePort, startHttp } from '../server.js';
import { firstRunBanner, noTokenShownHint } from './first-run-banner.js';
import { KEEP_RUNNING, type Parsed } from './options.js';
import { out } from './output.js';
import { writeServerRecord } from './server-record.js';
import { warnTestOnlySettings } from './startup-warnings.js';
import { toolFilterOf } from './tool-filter.js';
import { UsageError } from './usage-error.js';

/**
 * `sitepub serve`: the whole platform over HTTP in one process, or with `--workers N` a primary
 * that forks N workers sharing the port. A worker runs this same command line again.
 *
 * The first project, its token and the first owner are made only once the port is bound: a start
 * that cannot listen (the port is taken) must not spend the one showing of the first token.
 */
export async function runServe({ values: v }: Parsed<'serve'>): Promise<number> {
  let port = cluster.isWorker ? process.env.SITEPUB_WORKER_PORT : v.port;
  // Port 0 is resolved once, here, so every worker and every printed URL use the same port.
  if (!cluster.isWorker && (port ?? process.env.PORT) === '0') port = String(await freePort(v.host ?? process.env.HOST ?? '127.0.0.1'));
  const settings = loadSettings({ port, host: v.host, data: v.data });
  const logger = createLogger();
  const workers = Number(v.workers ?? process.env.SITEPUB_WORKERS ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers takes a whole number from 1 to 64');
  const filter = toolFilterOf(v);
  if (!cluster.isWorker) warnTestOnlySettings(settings);
  if (cluster.isWorker) await serveAsWorker(settings, logger, filter);
  else if (workers > 1) await serveWithWorkers(settings, logger, workers);
  else await serveAlone(settings, logger, filter);
  return KEEP_RUNNING;
}

/** Binding failed: say why in words a newcomer can act on. */
function listenError(e: unknown, settings: Settings): Error {
  const code = (e as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    return new Error(`Port ${settings.port} on ${settings.host} is already in use (is another sitepub running?). Start on another port with --port N (or PORT=N); nothing was created.`);
  }
  if (code === 'EACCES') return new Error(`Not allowed to listen on port ${settings.port} on ${settings.host}. Use a port above 1023 (--port N).`);
  return e instanceof Error ? e : new Error(String(e));
}

/** After the port is bound: the first project and owner (on a new data folder), and what to print. */
async function announce(core: Core, settings: Settings, listening: string): Promise<void> {
  const first = await ensureFirstProject(core).catch(() => undefined);
  const owner = await ensureFirstOwner(core).catch(() => undefined);
  if (first || owner) out(firstRunBanner(first, owner, settings.publicUrl));
  if (!first) out(await noTokenShownHint(core));
  if (!settings.databaseUrl) writeServerRecord(settings.dataDir, settings.publicUrl);
  out(listening);
}

async function serveAlone(settings: Settings, logger: Logger, filter: ToolFilter): Promise<void> {
  const core = await openCore(settings);
  const server = await startHttp(core, settings, logger, filter).catch(async (e: unknown) => {
    await core.close();
    throw listenError(e, settings);
  });
  await announce(core, settings, `sitepub listening on ${server.url} (public URL ${settings.publicUrl}; sites at http://{subdomain}.${settings.siteDomain}:${server.port}/)`);
  const stop = async (): Promise<void> => {
    await server.close();
    await core.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** The primary of `serve --workers N`: migrates, forks, and once all listen makes the first project and reports. */
async function serveWithWorkers(settings: Settings, logger: Logger, workers: number): Promise<void> {
  const core = await openCore(settings);
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let up = 0;
  let stopping = false;
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork({ SITEPUB_WORKER_PORT: String(settings.port) });
    w.on('message', (m) => {
      if (m === 'listening' && ++up === workers) {
        void announce(core, settings, `sitepub listening on http://${settings.host}:${settings.port} with ${workers} workers (public URL ${settings.publicUrl}; sites at http://{subdomain}.${settings.siteDomain}:${settings.port}/)`).finally(() => core.close());
      }
    });
  }
  const stopAll = (): void => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 500).unref();
  };
  cluster.on('exit', (w, code) => {
    if (code === 0 || stopping) return;
    logger.error({ pid: w.process.pid, code }, 'worker exited');
    // A worker that could not start (its reason is on stderr): the primary stops too, having made nothing.
    if (up < workers) {
      process.stderr.write('sitepub: a worker could not start (see above); stopping.\n');
      stopAll();
      process.exitCode = 1;
    }
  });
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
}

/** A worker of `serve --workers N`: the primary already migrated; caches check the shared generation. */
async function serveAsWorker(settings: Settings, logger: Logger, filter: ToolFilter): Promise<void> {
  const core = await openCore(settings, { migrate: false });
  const server = await startHttp(core, settings, logger, filter, true).catch(async (e: unknown) => {
    await core.close();
    throw listenError(e, settings);
  });
  // A worker never outlives its primary; on SIGTERM it stops accepting and exits cleanly.
  process.once('disconnect', () => process.exit(0));
  process.once('SIGTERM', () => {
    setTimeout(() => process.exit(0), 300).unref();
    void server.close().then(() => core.close()).finally(() => process.exit(0));
  });
  process.send?.('listening');
}
