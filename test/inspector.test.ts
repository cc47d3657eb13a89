import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The MCP Inspector CLI, as a user would run it against the built server. It is run from its own
// build folder because inspector-cli 1.0.3 looks for its package.json relative to the working directory.
const INSPECTOR_DIR = path.resolve('node_modules/@modelcontextprotocol/inspector-cli/build');
const CLI = path.resolve('dist/sitepub.mjs');
const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  for (const k of ['DATABASE_URL', 'PORT', 'HOST', 'SITEPUB_DATA', 'SITEPUB_PUBLIC_URL', 'SITEPUB_SITE_DOMAIN', 'SITEPUB_PROJECT']) delete e[k];
  return e;
};
const inspector = (args: string[]): unknown => {
  const r = spawnSync(process.execPath, ['index.js', ...args], { cwd: INSPECTOR_DIR, encoding: 'utf8', env: env(), timeout: 60_000 });
  if (r.status !== 0) throw new Error(`inspector failed (${r.status}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
};

describe('MCP Inspector CLI', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-inspector-'));
  });
  afterAll(() => {
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every tool over stdio', () => {
    const r = inspector([process.execPath, CLI, 'mcp', '--data', path.join(dir, 'stdio'), '--method', 'tools/list']) as { tools: Array<{ name: string }> };
    expect(r.tools).toHaveLength(20);
    expect(r.tools.map((t) => t.name)).toContain('file-downloads_get_stats');
  });

  it('calls tools over Streamable HTTP with a Bearer header', async () => {
    server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data', path.join(dir, 'http')], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(out)), 20_000);
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
    });
    const token = /Token:\s+(spp_\S+)/.exec(out)![1]!;
    const http = [`http://127.0.0.1:${port}/mcp`, '--transport', 'http', '--header', `Authorization: Bearer ${token}`];
    const created = inspector([...http, '--method', 'tools/call', '--tool-name', 'pages_create', '--tool-arg', 'slug=index.html', 'content=<h1>Inspected</h1>']) as { structuredContent: { version: number } };
    expect(created.structuredContent.version).toBe(1);
    const got = inspector([...http, '--method', 'tools/call', '--tool-name', 'pages_get', '--tool-arg', 'slug=index.html']) as { structuredContent: { content: string } };
    expect(got.structuredContent.content).toBe('<h1>Inspected</h1>');
    const prompts = inspector([...http, '--method', 'prompts/list']) as { prompts: Array<{ name: string }> };
    expect(prompts.prompts.map((p) => p.name)).toEqual(['build_site', 'edit_page', 'sell_file']);
  });
});
