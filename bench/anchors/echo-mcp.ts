import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { Hono } from 'hono';
import * as z from 'zod';

/**
 * Anchor: the smallest useful MCP server on the SDK v2 (the line sitepub serves on), one echo tool,
 * over stdio (serveStdio) or stateless Streamable HTTP (createMcpHandler, as the SDK documents it).
 *
 * With ECHO_PAGE_FILE set it also has `page`, which answers that file's HTML in pages_get's shape
 * (structuredContent checked against an output schema, and the same JSON as the text block): what
 * the SDK alone costs to move pages_get's answer, the page twice. The bench reports it beside the
 * echo, as a diagnosis; the goal stays on the echo.
 */
function createServer(): McpServer {
  const s = new McpServer({ name: 'echo', version: '1.0.0' });
  s.registerTool('echo', { description: 'Echo', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  const file = process.env.ECHO_PAGE_FILE;
  if (file) {
    const page = { slug: 'bench.html', content: readFileSync(file, 'utf8'), meta: {}, seo: {}, url: 'http://mysite.localhost:8787/bench.html', created_at: '2026-11-24T00:00:00.000Z', updated_at: '2026-11-24T00:00:00.000Z' };
    const outputSchema = z.object({ slug: z.string(), content: z.string(), meta: z.record(z.string(), z.unknown()), seo: z.record(z.string(), z.unknown()), url: z.string(), created_at: z.string(), updated_at: z.string() });
    s.registerTool('page', { description: 'A page in pages_get shape', inputSchema: z.object({ slug: z.string() }), outputSchema }, async () => ({ content: [{ type: 'text', text: JSON.stringify(page) }], structuredContent: page }));
  }
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
