import { ensureFirstProject, openCore } from '../bootstrap.js';
import { loadSettings } from '../config.js';
import { LOCAL_ACTOR } from '../core/projects.js';
import { createLogger } from '../log.js';
import { createMcpServer } from '../mcp/server.js';
import { StdioTransport } from '../mcp/wire.js';
import { KEEP_RUNNING, type Parsed } from './options.js';
import { toolFilterOf } from './tool-filter.js';

/**
 * `sitepub mcp`: the MCP server over stdio, as the local operator (every project in the data
 * folder). stdout carries the protocol only, so everything else goes to stderr.
 */
export async function runStdio({ values: v }: Parsed<'mcp'>): Promise<number> {
  const settings = loadSettings({ data: v.data, project: v.project });
  const logger = createLogger();
  const core = await openCore(settings);
  const first = await ensureFirstProject(core).catch(() => undefined);
  if (first) process.stderr.write(`sitepub: created project ${first.project.id}; site at ${first.project.url}/ (served by \`sitepub serve\`)\n`);
  const filter = toolFilterOf(v);
  const server = createMcpServer(core, { actor: LOCAL_ACTOR, defaultProjectId: settings.defaultProject, filter, logger });
  await server.connect(new StdioTransport());
  process.stderr.write('sitepub MCP server running on stdio\n');
  const stop = async (): Promise<void> => {
    await server.close();
    await core.close();
    process.exit(0);
  };
  process.stdin.once('end', () => void stop());
  process.once('SIGTERM', () => void stop());
  return KEEP_RUNNING;
}
