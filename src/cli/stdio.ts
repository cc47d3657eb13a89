import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { ensureFirstProject, openCore } from '../bootstrap.js';
import { loadSettings } from '../config.js';
import { LOCAL_ACTOR } from '../core/projects.js';
import { createLogger } from '../log.js';
import { createMcpServer } from '../mcp/server.js';
import { KEEP_RUNNING, type Parsed } from './options.js';
import { readServerPublicUrl } from './server-record.js';
import { warnTestOnlySettings } from './startup-warnings.js';
import { toolFilterOf } from './tool-filter.js';
import { UsageError } from './usage-error.js';

/**
 * `sitepub mcp`: the MCP server over stdio, as the local operator (every project in the data
 * folder). stdout carries the protocol only, so everything else goes to stderr. The SDK's
 * serveStdio decides the connection's era from its first message: a 2025-era `initialize`, or a
 * 2026-07-28 request carrying its own protocol version (server/discover first, as a rule).
 */
export async function runStdio({ values: v }: Parsed<'mcp'>): Promise<number> {
  const loaded = loadSettings({ data: v.data, project: v.project });
  // The URLs this server answers with are those of the `serve` on the same data folder, wherever it listens.
  const served = process.env.SITEPUB_PUBLIC_URL || loaded.databaseUrl ? undefined : readServerPublicUrl(loaded.dataDir);
  const settings = served ? { ...loaded, publicUrl: served } : loaded;
  warnTestOnlySettings(settings);
  const logger = createLogger();
  const core = await openCore(settings);
  const first = await ensureFirstProject(core).catch(() => undefined);
  if (first) process.stderr.write(`sitepub: created project ${first.project.id}; site at ${first.project.url}/ (served by \`sitepub serve\`)\n`);
  const filter = toolFilterOf(v);
  const allowDirs = allowedFolders(v['allow-dir'] ?? []);
  const handle = serveStdio(() => createMcpServer(core, { actor: LOCAL_ACTOR, defaultProjectId: settings.defaultProject, filter, logger, localFiles: { allowDirs } }), {
    onerror: (e) => logger.debug({ err: e }, 'mcp stdio error'),
  });
  process.stderr.write('sitepub MCP server running on stdio\n');
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await handle.close();
    await core.close();
    process.exit(0);
  };
  process.stdin.once('end', () => void stop());
  process.stdin.once('close', () => void stop());
  process.once('SIGTERM', () => void stop());
  return KEEP_RUNNING;
}

/** --allow-dir folders as absolute paths; one that does not exist is a usage error (a typo would silently allow nothing). */
function allowedFolders(dirs: readonly string[]): string[] {
  return dirs.map((d) => {
    const abs = path.resolve(d);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UsageError(`--allow-dir ${d}: no such folder.`);
    return abs;
  });
}
