import { ProtocolError, ProtocolErrorCode, Server, type CallToolResult, type ServerOptions } from '@modelcontextprotocol/server';
import { checkOutput, prepareTool, type Caller } from '../../tools/invoke.js';
import { ALL_TOOLS, selectTools, type ToolFilter } from '../../tools/index.js';
import { answerTag } from '../core/answer-tag.js';
import type { Core } from '../core/core.js';
import { SitepubError, toErrorBody } from '../core/errors.js';
import type { Actor } from '../core/projects.js';
import { silentLogger, type Logger } from '../log.js';
import { SERVER_INFO } from '../server-info.js';
import { callAppTool } from './apps/catalog.js';
import { uiSupport } from './apps/ui.js';
import { catalogFor } from './catalog.js';
import { toolResult } from './content.js';
import { SERVER_INSTRUCTIONS } from './instructions.js';
import { handle } from './params.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { ResultCache } from './result-cache.js';
import { localFileAccess } from './local-roots.js';

export { SERVER_INFO } from '../server-info.js';
export { zodMessage } from '../../tools/define.js';

/** Results of tagged answers (pages_get), shared by every server of the process, at most 16 MB of JSON. */
const results = new ResultCache<CallToolResult>(16 * 2 ** 20);

export interface McpSession {
  actor: Actor;
  /** Project used when a call has no project_id (stdio: --project / SITEPUB_PROJECT). */
  defaultProjectId?: string | undefined;
  filter?: ToolFilter;
  logger?: Logger;
  /** Client address (HTTP) for per-client limits; 'local' for stdio. */
  client?: string;
  /**
   * stdio only: the caller is the local operator, and assets_upload may read files by path inside
   * these folders (`sitepub mcp --allow-dir`) and the client's MCP roots. Absent over HTTP.
   */
  localFiles?: { allowDirs: readonly string[] };
}

/** Every failure becomes an isError result whose text is the error JSON of docs/errors.md. */
export function errorResult(e: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(toErrorBody(e)) }] };
}

const CAPABILITIES: NonNullable<ServerOptions['capabilities']> = {
  tools: { listChanged: false },
  resources: { listChanged: false },
  prompts: { listChanged: false },
  completions: {},
  // Deprecated in 2026-07-28; 2025-era clients may still send logging/setLevel.
  logging: {},
};

/**
 * Cache hints of the 2026-07-28 revision (ignored on 2025-era answers). The tool list depends on the
 * credential's scope and on the client's MCP Apps capability, so it is private; prompts and templates
 * are the same for everyone until the server is upgraded. Pages and assets change at any time:
 * listing and reading them are not cached.
 */
const CACHE_HINTS: NonNullable<ServerOptions['cacheHints']> = {
  'server/discover': { ttlMs: 3_600_000, cacheScope: 'public' },
  'tools/list': { ttlMs: 3_600_000, cacheScope: 'private' },
  'prompts/list': { ttlMs: 3_600_000, cacheScope: 'public' },
  'resources/templates/list': { ttlMs: 3_600_000, cacheScope: 'public' },
  'resources/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
};

const KNOWN_TOOLS = new Map(ALL_TOOLS.map((t) => [t.name, t]));

/**
 * A tool this server does not offer to this caller. A write tool hidden from a read-only credential
 * is a FORBIDDEN tool error naming the scope (the model can tell the user what to change); a tool
 * of a toolset this server was started without is FORBIDDEN too; any other name is the protocol's
 * unknown-tool error (-32602).
 */
function notOffered(name: string, readOnly: boolean, listed: ReadonlySet<string>): CallToolResult {
  const def = KNOWN_TOOLS.get(name);
  if (!def) {
    const near = [...listed].filter((n) => n.includes(name) || name.includes(n) || n.replace(/[-_]/g, '') === name.replace(/[-_]/g, ''));
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown tool: ${name}.${near.length ? ` Did you mean ${near.slice(0, 3).join(', ')}?` : ''} tools/list shows the ${listed.size} tools of this server.`,
    );
  }
  if (readOnly && !def.annotations.readOnlyHint) {
    return errorResult(
      new SitepubError('FORBIDDEN', `${name} changes the site, and this credential is read-only (scope sitepub:read). It needs the sitepub:write scope: ask the site owner for a token with write access, or reconnect and approve write access.`, {
        required_scope: 'sitepub:write',
      }),
    );
  }
  return errorResult(new SitepubError('FORBIDDEN', `${name} is not enabled on this server (its ${def.toolset} toolset was not selected when the server started). tools/list shows the tools that are.`, { toolset: def.toolset }));
}

/**
 * One factory for every transport (the SDK's serveStdio and createMcpHandler call it): stdio builds
 * one server per connection, HTTP one per request. The tool list is precomputed (catalogFor), so
 * building a server costs a few closures.
 */
export function createMcpServer(core: Core, session: McpSession): Server {
  const readOnly = session.filter?.readOnly === true || session.actor.scope === 'read';
  // A read-only OAuth grant still sees the write tools: calling one is how it learns to ask the
  // owner for sitepub:write (step-up). An API token's scope is fixed, so its list leaves them out.
  const listsWriteTools = !readOnly || (session.filter?.readOnly !== true && session.actor.oauth === true);
  const catalog = catalogFor(selectTools({ ...session.filter, readOnly: !listsWriteTools }));
  const log = session.logger ?? silentLogger;
  const server = new Server(SERVER_INFO, { capabilities: CAPABILITIES, instructions: SERVER_INSTRUCTIONS, cacheHints: CACHE_HINTS });

  // What the list holds depends on whether the client renders MCP Apps (catalogFor says what each gets).
  handle(server, 'tools/list', (_params, ctx) => catalog.listingFor(uiSupport(server, ctx)));

  const caller: Caller = { core, actor: session.actor, defaultProjectId: session.defaultProjectId, client: session.client ?? 'local' };
  if (session.localFiles) caller.localFiles = localFileAccess(server, session.localFiles.allowDirs, log);
  // The SDK validates the tools/call envelope (-32602 for a malformed one) and the result's shape.
  server.setRequestHandler('tools/call', async (req): Promise<CallToolResult> => {
    const name = req.params.name;
    const def = catalog.byName.get(name);
    if (!def) {
      // An app-only tool answers whatever the client declared: a 2025-era request over stateless HTTP
      // cannot say, and a host keeps the tools it does not offer its views to itself anyway.
      const app = catalog.appTools.get(name);
      if (app) return callAppTool(app, req.params.arguments ?? {}, caller, readOnly, log);
    }
    if (!def || (readOnly && !def.annotations.readOnlyHint)) return notOffered(name, readOnly, catalog.names);
    const started = performance.now();
    try {
      const call = await prepareTool(def, req.params.arguments ?? {}, caller, `Invalid arguments for ${def.name}: `);
      // An answer equal to one already sent (same tag: same row version, same URL) reuses its
      // checked result instead of reading, validating and serialising it again (see answer-tag.ts):
      // a tool that can tell the tag first (pages_get: the row's version, not its content) skips
      // its handler; otherwise the answer's own tag skips the check and the JSON.
      const early = await call.tag();
      const earlyHit = early === undefined ? undefined : results.get(`${def.name}\u0000${early}`);
      if (earlyHit) {
        log.debug({ tool: def.name, ms: Math.round(performance.now() - started), reused: true }, 'tool ok');
        return earlyHit;
      }
      const answer = await call.run();
      const project = call.project;
      log.debug({ tool: def.name, ms: Math.round(performance.now() - started) }, 'tool ok');
      const tag = answerTag(answer);
      const cacheKey = tag === undefined ? undefined : `${def.name}\u0000${tag}`;
      // Asked already when the tool told its tag first (the same tag, unless a write came between).
      const hit = cacheKey === undefined || early !== undefined ? undefined : results.get(cacheKey);
      if (hit) return hit;
      const { result, size } = toolResult(def, checkOutput(def, answer), project);
      if (cacheKey !== undefined) results.set(cacheKey, result, size);
      return result;
    } catch (e) {
      if (!(e instanceof SitepubError)) log.error({ tool: def.name, err: e }, 'tool failed');
      else log.info({ tool: def.name, error: e.type, ms: Math.round(performance.now() - started) }, 'tool refused');
      return errorResult(e);
    }
  });

  registerResources(server, caller);
  registerPrompts(server);
  // Logs go to stderr and the operator's log, not to clients; the level is accepted for 2025-era clients.
  handle(server, 'logging/setLevel', () => ({}));
  return server;
}
