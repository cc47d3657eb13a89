import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { ToolFilter } from '../../tools/index.js';
import type { Core } from '../core/core.js';
import type { Actor } from '../core/projects.js';
import type { Logger } from '../log.js';
import { createMcpServer } from './server.js';

/** Answers one authenticated MCP request over Streamable HTTP (the shape src/http's McpHttpHandler expects). */
export type McpHttpHandler = (request: Request, caller: { actor: Actor; client: string }) => Promise<Response>;

/**
 * Streamable HTTP, stateless: every POST gets a fresh server and transport, so any instance behind
 * a load balancer can answer any request.
 */
export function createMcpHttpHandler(core: Core, options: { filter?: ToolFilter | undefined; logger: Logger; maxBodyBytes: number }): McpHttpHandler {
  return async (request, caller) => {
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: options.maxBodyBytes });
    const server = createMcpServer(core, { actor: caller.actor, filter: options.filter ?? {}, logger: options.logger, client: caller.client });
    try {
      await server.connect(transport);
      return await transport.handleRequest(request);
    } finally {
      // Stateless JSON responses are complete once handleRequest returns.
      void server.close();
    }
  };
}
