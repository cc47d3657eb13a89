import { serve } from '@hono/node-server';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { Hono } from 'hono';
import * as z from 'zod';

/**
 * Anchor: the smallest useful MCP server on the SDK v2 (the line sitepub serves on), one echo tool,
 * over stdio (serveStdio) or stateless Streamable HTTP (createMcpHandler, as the SDK documents it).
 */
function createServer(): McpServer {
  const s = new McpServer({ name: 'echo', version: '1.0.0' });
  s.registerTool('echo', { description: 'Echo', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  return s;
}

const port = process.argv[2];
if (!port) {
  serveStdio(createServer);
} else {
  const handler = createMcpHandler(createServer);
  const app = new Hono();
  app.post('/mcp', (c) => handler.fetch(c.req.raw));
  serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => console.log('ready'));
}
