import { createMcpHandler, isLegacyRequest, WebStandardStreamableHTTPServerTransport, type AuthInfo } from '@modelcontextprotocol/server';
import type { ToolFilter } from '../../tools/index.js';
import type { Core } from '../core/core.js';
import type { Actor } from '../core/projects.js';
import type { Logger } from '../log.js';
import { createMcpServer } from './server.js';

/** Answers one authenticated MCP request over Streamable HTTP (the shape src/http's McpHttpHandler expects). */
export type McpHttpHandler = (request: Request, caller: { actor: Actor; client: string }) => Promise<Response>;

interface Caller {
  actor: Actor;
  client: string;
}

/** The body as JSON, or undefined (then the SDK reads the request itself and answers -32700). */
async function parsedBodyOf(request: Request): Promise<{ request: Request; body: unknown }> {
  const text = await request.text();
  try {
    return { request, body: JSON.parse(text) };
  } catch {
    return { request: new Request(request.url, { method: request.method, headers: request.headers, body: text }), body: undefined };
  }
}

/**
 * Streamable HTTP, stateless: every request gets a fresh server, so any instance behind a load
 * balancer can answer any request. The SDK's createMcpHandler serves the 2026-07-28 revision
 * (server/discover, Mcp-Method/Mcp-Name checks, cache fields). 2025-era requests (initialize, and
 * requests without the 2026 envelope) are told apart by the SDK's own isLegacyRequest and answered
 * by its 2025 transport in JSON mode, one server per POST, as before the move to SDK v2 (the
 * handler's built-in legacy leg would answer them as SSE streams). The edge in src/http has checked
 * Origin and the credential; the caller travels in authInfo, which the SDK passes through untouched.
 */
export function createMcpHttpHandler(core: Core, options: { filter?: ToolFilter | undefined; logger: Logger; maxBodyBytes: number }): McpHttpHandler {
  const serverFor = (caller: Caller) => createMcpServer(core, { actor: caller.actor, filter: options.filter ?? {}, logger: options.logger, client: caller.client });
  const modern = createMcpHandler(
    ({ authInfo }) => {
      const caller = authInfo?.extra?.sitepub as Caller | undefined;
      if (!caller) throw new Error('MCP request without an authenticated caller');
      return serverFor(caller);
    },
    { legacy: 'reject', maxRequestBodySize: options.maxBodyBytes, onerror: (e) => options.logger.debug({ err: e }, 'mcp request refused') },
  );
  return async (raw, caller) => {
    const authInfo: AuthInfo = { token: '', clientId: caller.client, scopes: [caller.actor.scope === 'read' ? 'sitepub:read' : 'sitepub:write'], extra: { sitepub: caller } };
    const { request, body } = await parsedBodyOf(raw);
    const opts = body === undefined ? { authInfo } : { authInfo, parsedBody: body };
    if (body === undefined || !(await isLegacyRequest(request, body, { maxRequestBodySize: options.maxBodyBytes }))) return modern.fetch(request, opts);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: options.maxBodyBytes });
    const server = serverFor(caller);
    try {
      await server.connect(transport);
      return await transport.handleRequest(request, opts);
    } finally {
      // Stateless JSON responses are complete once handleRequest returns.
      void server.close();
    }
  };
}
