/**
 * The MCP Apps wiring over real MCP clients: which tools link which view (`_meta.ui.resourceUri`),
 * the views as resources (MIME type and CSP metadata), who is offered the app-only tools, and that a
 * client without MCP Apps gets the list and the results it always got. In-memory (2025 era, the v1
 * client with and without the extension in its capabilities), over HTTP (2026-07-28 per-request
 * envelope, and a 2025-era stateless request, which carries no capabilities) and over stdio (the
 * built CLI, both eras).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACTOR } from '../src/core/projects.js';
import { createMcpServer, type McpSession } from '../src/mcp/server.js';
import { EXTENSION_ID, PAGE_PREVIEW_URI, RESOURCE_MIME_TYPE, SITE_OVERVIEW_URI } from '../src/mcp/apps/ui.js';
import { makeApp, makeEnv, type TestEnv } from './helpers.js';

const UI_CAPS = { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } };
const APP_TOOLS = ['apps_page_preview', 'apps_page_rollback', 'apps_site_overview'];
const CSP = { resourceDomains: ['http://*.localhost:8787', 'http://127.0.0.1:8787'], baseUriDomains: ['http://*.localhost:8787', 'http://127.0.0.1:8787'] };

async function connect(env: TestEnv, caps: Record<string, unknown>, session: Partial<McpSession> = {}): Promise<Client> {
  const server = createMcpServer(env.core, { actor: LOCAL_ACTOR, ...session });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'apps-test', version: '1.0.0' }, { capabilities: caps });
  await Promise.all([server.connect(a), client.connect(b)]);
  return client;
}

type Listed = { name: string; _meta?: Record<string, unknown> };

describe('MCP Apps over an in-memory client (2025 era)', () => {
  let env: TestEnv;
  let plain: Client;
  let apps: Client;
  beforeAll(async () => {
    env = await makeEnv();
    await env.core.pages.create(env.project, { slug: 'index.html', content: '<h1>Bread</h1>', meta: { title: 'Home' } });
    plain = await connect(env, {});
    apps = await connect(env, UI_CAPS);
  });
  afterAll(async () => {
    await plain.close();
    await apps.close();
    await env.close();
  });

  it('a client that declared MCP Apps finds the page tools linked to the page preview and project_status/pages_list to the overview', async () => {
    const tools = (await apps.listTools()).tools as Listed[];
    const meta = Object.fromEntries(tools.filter((t) => t._meta && !t.name.startsWith('apps_')).map((t) => [t.name, t._meta]));
    const preview = { ui: { resourceUri: PAGE_PREVIEW_URI }, 'ui/resourceUri': PAGE_PREVIEW_URI };
    const overview = { ui: { resourceUri: SITE_OVERVIEW_URI }, 'ui/resourceUri': SITE_OVERVIEW_URI };
    expect(meta).toEqual({ project_status: overview, pages_list: overview, pages_get: preview, pages_create: preview, pages_update: preview, pages_patch: preview, pages_rollback: preview });
  });

  it('a client without MCP Apps gets exactly the list it always got: no _meta, no app-only tool (test/toolsnaps holds it)', async () => {
    const plainTools = (await plain.listTools()).tools as Listed[];
    expect(plainTools.filter((t) => t._meta !== undefined)).toEqual([]);
    const appsTools = (await apps.listTools()).tools as Listed[];
    // The same tools, in the same order, with the same schemas; only _meta and the app-only tools added.
    expect(appsTools.filter((t) => !t.name.startsWith('apps_')).map(({ _meta, ...t }) => t)).toEqual(plainTools);
  });

  it('a client without MCP Apps is offered no app-only tool and lists no view; one with it gets both', async () => {
    const plainTools = ((await plain.listTools()).tools as Listed[]).map((t) => t.name);
    expect(plainTools.filter((n) => n.startsWith('apps_'))).toEqual([]);
    const appTools = (await apps.listTools()).tools as Listed[];
    expect(appTools.length).toBe(plainTools.length + 3);
    for (const name of APP_TOOLS) expect(appTools.find((t) => t.name === name)?._meta).toEqual({ ui: { visibility: ['app'] } });

    expect((await plain.listResources()).resources.filter((r) => r.uri.startsWith('ui://'))).toEqual([]);
    const listed = (await apps.listResources()).resources;
    expect(listed.slice(0, 2).map((r) => [r.uri, r.mimeType])).toEqual([
      [PAGE_PREVIEW_URI, RESOURCE_MIME_TYPE],
      [SITE_OVERVIEW_URI, RESOURCE_MIME_TYPE],
    ]);
    expect(listed[0]!._meta).toEqual({ ui: { csp: CSP, prefersBorder: true } });
    expect(listed.slice(2).map((r) => r.uri)).toEqual([`sitepub://${env.project.id}/pages/index.html`]);
  });

  it('reads the views with the app MIME type and their CSP on the content item', async () => {
    for (const uri of [PAGE_PREVIEW_URI, SITE_OVERVIEW_URI]) {
      const read = await apps.readResource({ uri });
      expect(read.contents).toHaveLength(1);
      const item = read.contents[0] as { uri: string; mimeType: string; text: string; _meta: unknown };
      expect(item).toMatchObject({ uri, mimeType: 'text/html;profile=mcp-app', _meta: { ui: { csp: CSP, prefersBorder: true } } });
      expect(item.text).toContain('<!doctype html>');
    }
    await expect(plain.readResource({ uri: 'ui://sitepub/nothing' })).rejects.toThrow(/Resource not found: ui:\/\/sitepub\/nothing/);
  });

  it('tool results are the same for every client: JSON text, resource links, structuredContent; no UI content', async () => {
    const created = await plain.callTool({ name: 'pages_create', arguments: { slug: 'about.html', content: '<h1>About</h1>' } });
    expect(created._meta).toBeUndefined();
    expect(created.content).toEqual([
      { type: 'text', text: JSON.stringify(created.structuredContent) },
      { type: 'resource_link', uri: `sitepub://${env.project.id}/pages/about.html`, name: 'about.html', mimeType: 'text/html' },
    ]);
    for (const [name, args] of [
      ['pages_get', { slug: 'about.html', include_version: true }],
      ['pages_list', {}],
      ['project_status', {}],
    ] as const) {
      const [a, b] = await Promise.all([plain.callTool({ name, arguments: args }), apps.callTool({ name, arguments: args })]);
      expect(b, name).toEqual(a);
    }
  });

  it('the app calls its tools through the same connection; a read-only session cannot roll back', async () => {
    const r = await apps.callTool({ name: 'apps_page_preview', arguments: { slug: 'index.html' } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ slug: 'index.html', version: 1, previous_version: null, content: expect.stringContaining('<h1>Bread</h1>') });
    const ro = await connect(env, UI_CAPS, { filter: { readOnly: true } });
    // A read-only list holds no write tool, the app's roll-back included; calling it says why.
    expect(((await ro.listTools()).tools as Listed[]).map((t) => t.name).filter((n) => n.startsWith('apps_'))).toEqual(['apps_page_preview', 'apps_site_overview']);
    const refused = await ro.callTool({ name: 'apps_page_rollback', arguments: { slug: 'index.html', target_version: 1, expected_current_version: 1 } });
    expect(refused.isError).toBe(true);
    expect(JSON.parse((refused.content as Array<{ text: string }>)[0]!.text)).toMatchObject({ type: 'FORBIDDEN', required_scope: 'sitepub:write' });
    await ro.close();
  });

  it('without the pages toolset there is no app-only tool to list or call', async () => {
    const assetsOnly = await connect(env, UI_CAPS, { filter: { toolsets: ['assets'] } });
    expect(((await assetsOnly.listTools()).tools as Listed[]).filter((t) => t.name.startsWith('apps_'))).toEqual([]);
    await expect(assetsOnly.callTool({ name: 'apps_page_preview', arguments: { slug: 'index.html' } })).rejects.toThrow(/Unknown tool: apps_page_preview/);
    await assetsOnly.close();
  });
});

describe('MCP Apps over HTTP', () => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  let token: string;
  beforeAll(async () => {
    env = await makeEnv();
    req = makeApp(env);
    token = (await env.core.projects.issueToken({ projectId: env.project.id })).token;
  });
  afterAll(() => env.close());

  let id = 0;
  async function rpc(version: '2026-07-28' | '2025-06-18', method: string, params: Record<string, unknown>, caps: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const modern = version === '2026-07-28';
    const envelope = { 'io.modelcontextprotocol/protocolVersion': version, 'io.modelcontextprotocol/clientCapabilities': caps, 'io.modelcontextprotocol/clientInfo': { name: 'apps-http', version: '1' } };
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': version };
    if (modern) headers['mcp-method'] = method;
    const name = params.name ?? params.uri;
    if (modern && typeof name === 'string') headers['mcp-name'] = name;
    const r = await req('/mcp', { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: modern ? { ...params, _meta: envelope } : params }) });
    const body = (await r.json()) as { result?: Record<string, unknown>; error?: unknown };
    expect(body.error, JSON.stringify(body.error)).toBeUndefined();
    return body.result!;
  }
  const names = (r: Record<string, unknown>): string[] => (r.tools as Listed[]).map((t) => t.name);

  const linked = (r: Record<string, unknown>): string[] => (r.tools as Listed[]).filter((t) => (t._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri).map((t) => t.name);
  const LINKED = ['project_status', 'pages_list', 'pages_get', 'pages_create', 'pages_update', 'pages_patch', 'pages_rollback'];

  it('2026-07-28: the envelope says whether the client renders views', async () => {
    const withApps = await rpc('2026-07-28', 'tools/list', {}, UI_CAPS);
    expect(names(withApps)).toEqual(expect.arrayContaining(APP_TOOLS));
    expect(linked(withApps)).toEqual(LINKED);
    const without = await rpc('2026-07-28', 'tools/list', {});
    expect(names(without).filter((n) => n.startsWith('apps_'))).toEqual([]);
    expect((without.tools as Listed[]).filter((t) => t._meta !== undefined)).toEqual([]);
    expect(((await rpc('2026-07-28', 'resources/list', {}, UI_CAPS)).resources as Array<{ uri: string }>).slice(0, 2).map((r) => r.uri)).toEqual([PAGE_PREVIEW_URI, SITE_OVERVIEW_URI]);
    const read = await rpc('2026-07-28', 'resources/read', { uri: PAGE_PREVIEW_URI });
    expect(read.contents).toEqual([expect.objectContaining({ mimeType: RESOURCE_MIME_TYPE, _meta: { ui: { csp: CSP, prefersBorder: true } } })]);
  });

  it('2025 era, stateless (ChatGPT, claude.ai): no capabilities on the request, so the tools link their views for a host that renders them, and no app-only tool is listed', async () => {
    const list = await rpc('2025-06-18', 'tools/list', {});
    expect(linked(list)).toEqual(LINKED);
    expect(names(list).filter((n) => n.startsWith('apps_'))).toEqual([]);
    expect(names(list)).toEqual(names(await rpc('2026-07-28', 'tools/list', {})));
    expect(((await rpc('2025-06-18', 'resources/list', {})).resources as Array<{ uri: string }>).filter((r) => r.uri.startsWith('ui://'))).toEqual([]);
    const read = await rpc('2025-06-18', 'resources/read', { uri: SITE_OVERVIEW_URI });
    expect(read.contents).toEqual([expect.objectContaining({ uri: SITE_OVERVIEW_URI, mimeType: RESOURCE_MIME_TYPE })]);
    await env.core.pages.create(env.project, { slug: 'index.html', content: '<h1>Hi</h1>' });
    const r = await rpc('2025-06-18', 'tools/call', { name: 'apps_page_preview', arguments: { slug: 'index.html' } });
    expect(r.structuredContent).toMatchObject({ slug: 'index.html', version: 1 });
  });
});

describe('MCP Apps over stdio (the built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-apps-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `sitepub mcp` on a data folder of its own; `ask` sends one JSON-RPC request and waits for its answer. */
  function spawnCli(): { proc: ChildProcessWithoutNullStreams; ask: (msg: Record<string, unknown>) => Promise<{ result: Record<string, unknown> }> } {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SITEPUB_') && k !== 'DATABASE_URL') env[k] = v;
    const proc = spawn(process.execPath, [path.resolve('dist/sitepub.mjs'), 'mcp', '--data', dir], { env });
    let buf = '';
    const waiting = new Map<unknown, (m: { result: Record<string, unknown> }) => void>();
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const m = JSON.parse(buf.slice(0, nl)) as { id: unknown; result: Record<string, unknown> };
        buf = buf.slice(nl + 1);
        waiting.get(m.id)?.(m);
      }
    });
    const ask = (msg: Record<string, unknown>) =>
      new Promise<{ result: Record<string, unknown> }>((resolve) => {
        waiting.set(msg.id, resolve);
        proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
      });
    return { proc, ask };
  }
  const envelope = (caps: Record<string, unknown>) => ({ 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': caps, 'io.modelcontextprotocol/clientInfo': { name: 'apps-stdio', version: '1' } });
  const appNames = (r: { result: Record<string, unknown> }): string[] => (r.result.tools as Listed[]).map((t) => t.name).filter((n) => n.startsWith('apps_'));

  it('2026-07-28: each request says whether the client renders views', async () => {
    const { proc, ask } = spawnCli();
    try {
      expect(appNames(await ask({ id: 1, method: 'tools/list', params: { _meta: envelope(UI_CAPS) } }))).toEqual(APP_TOOLS);
      const plain = await ask({ id: 2, method: 'tools/list', params: { _meta: envelope({}) } });
      expect((plain.result.tools as Listed[]).filter((t) => t._meta !== undefined)).toEqual([]);
      const read = await ask({ id: 3, method: 'resources/read', params: { uri: PAGE_PREVIEW_URI, _meta: envelope(UI_CAPS) } });
      expect(read.result.contents).toEqual([expect.objectContaining({ uri: PAGE_PREVIEW_URI, mimeType: RESOURCE_MIME_TYPE })]);
    } finally {
      proc.kill();
    }
  });

  it.each([
    ['declared the extension in initialize', UI_CAPS, APP_TOOLS, 7],
    ['did not', {}, [], 0],
  ])('2025: a client that %s', async (_what, caps, apps, linkedTools) => {
    const { proc, ask } = spawnCli();
    try {
      await ask({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: caps, clientInfo: { name: 'apps-stdio', version: '1' } } });
      proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      const list = await ask({ id: 2, method: 'tools/list', params: {} });
      expect(appNames(list)).toEqual(apps);
      expect((list.result.tools as Listed[]).filter((t) => !t.name.startsWith('apps_') && t._meta !== undefined)).toHaveLength(linkedTools);
    } finally {
      proc.kill();
    }
  });
});
