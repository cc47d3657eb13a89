import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, startServe, type ServeProcess } from './serve-process.js';

// The MCP Inspector CLI, as a user would run it against the built server. It is run from its own
// build folder because inspector-cli 1.0.3 looks for its package.json relative to the working directory.
const INSPECTOR_DIR = path.resolve('node_modules/@modelcontextprotocol/inspector-cli/build');
const inspector = (args: string[]): unknown => {
  const r = spawnSync(process.execPath, ['index.js', ...args], { cwd: INSPECTOR_DIR, encoding: 'utf8', env: cliEnv(), timeout: 60_000 });
  if (r.status !== 0) throw new Error(`inspector failed (${r.status}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
};

describe('MCP Inspector CLI', () => {
  let dir: string;
  let server: ServeProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-inspector-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every tool over stdio', () => {
    const r = inspector([process.execPath, CLI, 'mcp', '--data', path.join(dir, 'stdio'), '--method', 'tools/list']) as { tools: Array<{ name: string }> };
    expect(r.tools).toHaveLength(34);
    expect(r.tools.map((t) => t.name)).toContain('file-downloads_get_stats');
  });

  it('calls tools over Streamable HTTP with a Bearer header', async () => {
    server = await startServe({ dataDir: path.join(dir, 'http') });
    const { port } = server;
    const { token } = server.firstRun();
    const http = [`http://127.0.0.1:${port}/mcp`, '--transport', 'http', '--header', `Authorization: Bearer ${token}`];
    const created = inspector([...http, '--method', 'tools/call', '--tool-name', 'pages_create', '--tool-arg', 'slug=index.html', 'content=<h1>Inspected</h1>']) as { structuredContent: { version: number } };
    expect(created.structuredContent.version).toBe(1);
    const got = inspector([...http, '--method', 'tools/call', '--tool-name', 'pages_get', '--tool-arg', 'slug=index.html']) as { structuredContent: { content: string } };
    expect(got.structuredContent.content).toBe('<h1>Inspected</h1>');
    const prompts = inspector([...http, '--method', 'prompts/list']) as { prompts: Array<{ name: string }> };
    expect(prompts.prompts.map((p) => p.name)).toEqual(['build_site', 'edit_page', 'sell_file']);
  });
});
