/**
 * Both protocol generations on one endpoint: the 2026-07-28 revision (no initialize, the `_meta`
 * envelope on every request, Mcp-Method/Mcp-Name headers, cache fields, server/discover, -32602 for
 * a missing resource) and the 2025 revisions, over Streamable HTTP (the Hono app, no socket) and
 * over stdio (the built CLI), as raw JSON-RPC so the wire itself is what is checked.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, makeEnv, type TestEnv } from './helpers.js';

const MODERN = '2026-07-28';
const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'eras-test', version: '1' } };

interface RpcAnswer {
  status: number;
  body: { result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };
}

describe('Streamable HTTP: 2026-07-28 and 2025 on the same /mcp', () => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  let token: string;
  let readToken: string;
  beforeAll(async () => {
    env = await makeEnv();
    req = makeApp(env);
    token = (await env.core.projects.issueToken({ projectId: env.project.id })).token;
    readToken = (await env.core.projects.issueToken({ projectId: env.project.id, scope: 'read' })).token;
    await env.core.pages.create(env.project, { slug: 'index.html', content: '<h1>Hi</h1>', meta: { title: 'Home' } });
  });
  afterAll(() => env.close());

  let id = 0;
  const modern = async (method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}, bearer = token): Promise<RpcAnswer> => {
    const name = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
    const h: Record<string, string> = {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name !== undefined ? { 'mcp-name': name } : {}),
      ...headers,
    };
    for (const [k, v] of Object.entries(h)) if (v === '') delete h[k];
    const r = await req('/mcp', { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: { ...params, _meta: envelope } }) });
    return { status: r.status, body: (await r.json()) as RpcAnswer['body'] };
  };
  const legacy = async (method: string, params: Record<string, unknown> = {}): Promise<RpcAnswer> => {
    const h = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
    const r = await req('/mcp', { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
    return { status: r.status, body: (await r.json()) as RpcAnswer['body'] };
  };

  it('server/discover names 2026-07-28, the capabilities and the instructions, with cache fields', async () => {
    const r = await modern('server/discover');
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ supportedVersions: [MODERN], capabilities: { tools: {}, resources: {}, prompts: {}, completions: {} }, resultType: 'complete', ttlMs: 3_600_000, cacheScope: 'public' });
    expect(r.body.result!.instructions).toContain('pages_patch');
    expect(r.body.result!._meta).toMatchObject({ 'io.modelcontextprotocol/serverInfo': { name: 'sitepub' } });
  });

  it('lists carry caching hints: the tool list is private (it depends on the scope), prompts are public', async () => {
    const tools = await modern('tools/list');
    expect(tools.body.result).toMatchObject({ ttlMs: 3_600_000, cacheScope: 'private' });
    expect((tools.body.result!.tools as unknown[]).length).toBe(34);
    expect((await modern('tools/list', {}, {}, readToken)).body.result!.tools).toHaveLength(15);
    expect((await modern('prompts/list')).body.result).toMatchObject({ ttlMs: 3_600_000, cacheScope: 'public' });
    expect((await modern('resources/templates/list')).body.result).toMatchObject({ cacheScope: 'public' });
    expect((await modern('resources/list')).body.result).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
    // The shared, precomputed list object is not changed by the 2026 encoding: 2025 answers stay plain.
    const old = await legacy('tools/list');
    expect(old.body.result).not.toHaveProperty('ttlMs');
    expect(old.body.result).not.toHaveProperty('resultType');
  });

  it('calls tools with structured content, resource links, and the error JSON for refusals', async () => {
    const got = await modern('tools/call', { name: 'pages_get', arguments: { slug: 'index.html' } });
    expect(got.body.result).toMatchObject({ resultType: 'complete', structuredContent: { slug: 'index.html', content: '<h1>Hi</h1>' } });
    const content = got.body.result!.content as Array<{ type: string; text?: string }>;
    expect(JSON.parse(content[0]!.text!)).toEqual(got.body.result!.structuredContent);
    const missing = await modern('tools/call', { name: 'pages_get', arguments: { slug: 'nope.html' } });
    expect(missing.body.result!.isError).toBe(true);
    expect(JSON.parse((missing.body.result!.content as Array<{ text: string }>)[0]!.text)).toMatchObject({ code: 404, type: 'NOT_FOUND' });
    // (A read-only credential calling a write tool is refused by the HTTP edge first: 403 insufficient_scope.)
  });

  it('checks Mcp-Method and Mcp-Name against the body', async () => {
    const noName = await modern('tools/call', { name: 'pages_list', arguments: {} }, { 'mcp-name': '' });
    expect(noName.status).toBe(400);
    expect(noName.body.error).toMatchObject({ code: -32020 });
    const wrongName = await modern('tools/call', { name: 'pages_list', arguments: {} }, { 'mcp-name': 'pages_delete' });
    expect(wrongName.status).toBe(400);
    const wrongMethod = await modern('tools/list', {}, { 'mcp-method': 'prompts/list' });
    expect(wrongMethod.status).toBe(400);
    expect(wrongMethod.body.error?.message).toMatch(/Mcp-Method/i);
  });

  it('a missing resource is -32602 with its URI; the 2025 era answers the same code', async () => {
    const uri = `sitepub://${env.project.id}/pages/nope.html`;
    const r = await modern('resources/read', { uri });
    expect(r.body.error).toMatchObject({ code: -32602, data: { uri } });
    expect(r.body.error!.message).toMatch(/not found/);
    expect((await legacy('resources/read', { uri })).body.error).toMatchObject({ code: -32602, data: { uri } });
    const page = await modern('resources/read', { uri: `sitepub://${env.project.id}/pages/index.html` });
    expect(page.body.result).toMatchObject({ contents: [{ mimeType: 'text/html', text: '<h1>Hi</h1>' }], ttlMs: 0, cacheScope: 'private' });
  });

  it('2025-era clients still initialize and call, statelessly, with JSON answers', async () => {
    const init = await legacy('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    expect(init.body.result).toMatchObject({ protocolVersion: '2025-06-18', serverInfo: { name: 'sitepub' } });
    expect(init.body.result!.instructions).toContain('pages_patch');
    const latest = await legacy('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    expect(latest.body.result).toMatchObject({ protocolVersion: '2025-11-25' });
    const call = await legacy('tools/call', { name: 'project_status', arguments: {} });
    expect(call.body.result).toMatchObject({ structuredContent: { project_id: env.project.id } });
    expect(call.body.result).not.toHaveProperty('resultType');
  });
});

describe('stdio: the built CLI serves either era from the first message', () => {
  let dir: string;
  const spawnCli = (): { proc: ChildProcessWithoutNullStreams; ask: (msg: Record<string, unknown>) => Promise<Record<string, unknown>> } => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['DATABASE_URL', 'SITEPUB_PROJECT', 'SITEPUB_DATA'].includes(k)) env[k] = v;
    const proc = spawn(process.execPath, [path.resolve('dist/sitepub.mjs'), 'mcp', '--data', dir], { env });
    let buf = '';
    const waiting = new Map<unknown, (m: Record<string, unknown>) => void>();
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = JSON.parse(line) as Record<string, unknown>;
        waiting.get(m.id)?.(m);
      }
    });
    const ask = (msg: Record<string, unknown>) =>
      new Promise<Record<string, unknown>>((resolve) => {
        waiting.set(msg.id, resolve);
        proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
      });
    return { proc, ask };
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-eras-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('2026-07-28: discover, then calls with the envelope', async () => {
    const { proc, ask } = spawnCli();
    try {
      const d = (await ask({ id: 1, method: 'server/discover', params: { _meta: envelope } })) as { result: Record<string, unknown> };
      expect(d.result).toMatchObject({ supportedVersions: [MODERN], cacheScope: 'public' });
      const list = (await ask({ id: 2, method: 'tools/list', params: { _meta: envelope } })) as { result: { tools: unknown[]; ttlMs: number } };
      expect(list.result.tools).toHaveLength(34);
      const st = (await ask({ id: 3, method: 'tools/call', params: { name: 'project_status', arguments: {}, _meta: envelope } })) as { result: { structuredContent: { status: string } } };
      expect(st.result.structuredContent.status).toBe('empty');
    } finally {
      proc.kill();
    }
  });

  it('2025: initialize, then calls without it', async () => {
    const { proc, ask } = spawnCli();
    try {
      const init = (await ask({ id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } } })) as { result: { protocolVersion: string } };
      expect(init.result.protocolVersion).toBe('2025-03-26');
      proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      const list = (await ask({ id: 2, method: 'tools/list', params: {} })) as { result: Record<string, unknown> };
      expect(list.result.tools).toHaveLength(34);
      expect(list.result).not.toHaveProperty('ttlMs');
    } finally {
      proc.kill();
    }
  });
});
