import { serve } from '@hono/node-server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import * as z from 'zod';

/** Anchor: the smallest useful MCP server, one echo tool, over stdio or stateless Streamable HTTP. */
function createServer(): McpServer {
  const s = new McpServer({ name: 'echo', version: '1.0.0' });
  s.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  return s;
}

const port = process.argv[2];
if (!port) {
  await createServer().connect(new StdioServerTransport());
} else {
  const app = new Hono();
  app.post('/mcp', async (c) => {
    const t = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const s = createServer();
    await s.connect(t);
    return t.handleRequest(c.req.raw);
  });
  serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => console.log('ready'));
}
