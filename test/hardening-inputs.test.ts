import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { SitepubError } from '../src/core/errors.js';
import { normalizeSlug } from '../src/core/slug.js';
import { b64, call, connect, makeApp, makeEnv, PDF_MIN, PNG_1PX, type TestEnv } from './helpers.js';

// Inputs that used to answer INTERNAL (or -32603): each must now be a typed refusal, and a refused
// call must leave nothing behind.

const LONE = '\uD800';
type Envelope = { success: boolean; data: Record<string, unknown>; error: { code: number; type: string; message: string; field?: string } };

/** An object nested `levels` deep: nest(1) = {k: "v"}, nest(2) = {k: {k: "v"}}. */
function nest(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { k: 'v' };
  for (let i = 1; i < levels; i++) v = { k: v };
  return v;
}

/** The JSON text of nest(levels), built without JSON.stringify (which overflows the stack on it). */
function nestJson(levels: number): string {
  return `${'{"k":'.repeat(levels - 1)}{"k":"v"}${'}'.repeat(levels - 1)}`;
}

/** JSON of `body` with the string "DEEP" replaced by nestJson(levels). */
function withDeep(body: unknown, levels: number): string {
  return JSON.stringify(body).replace('"DEEP"', nestJson(levels));
}

async function rpcError(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof McpError) return e;
    throw e;
  }
  throw new Error('expected a JSON-RPC error');
}

describe('hardening: malformed inputs are typed errors, and nothing is written first', () => {
  let env: TestEnv;
  let client: Client;
  let req: ReturnType<typeof makeApp>;
  let auth: Record<string, string>;
  const P = (): string => `/papi/project/${env.project.id}`;

  beforeAll(async () => {
    env = await makeEnv();
    client = await connect(env.core);
    req = makeApp(env);
    auth = { authorization: `Bearer ${(await env.core.projects.issueToken({ projectId: env.project.id })).token}`, 'content-type': 'application/json' };
  });
  afterAll(() => env.close());

  async function rest(method: string, path: string, body?: unknown): Promise<{ status: number; json: Envelope }> {
    // JSON.stringify writes a lone surrogate as the escape "\ud800", which JSON.parse turns back into one.
    const text = typeof body === 'string' ? body : body !== undefined ? JSON.stringify(body) : undefined;
    const r = await req(path, { method, headers: auth, ...(text !== undefined ? { body: text } : {}) });
    return { status: r.status, json: (await r.json()) as Envelope };
  }

  async function counts(): Promise<{ pages: number; assets: number; tokens: number }> {
    const pages = (await call<{ total: number }>(client, 'pages_list')).data.total;
    const assets = (await call<{ total: number }>(client, 'assets_list')).data.total;
    const tokens = (await call<{ total: number }>(client, 'file-downloads_list_downloads')).data.total;
    return { pages, assets, tokens };
  }

  describe('lone UTF-16 surrogates', () => {
    it('normalizeSlug refuses a slug that is not well-formed UTF-16, naming the field', () => {
      for (const s of [`a${LONE}.png`, 'a\uDC00.html', `x/${LONE}`]) {
        let err: unknown;
        try {
          normalizeSlug(s, 'asset');
        } catch (e) {
          err = e;
        }
        expect(err, s).toBeInstanceOf(SitepubError);
        expect((err as SitepubError).type).toBe('VALIDATION_ERROR');
        expect((err as SitepubError).details.field).toBe('slug');
        expect((err as SitepubError).message).toMatch(/surrogate/i);
      }
      // A surrogate pair is one well-formed character and stays allowed.
      expect(normalizeSlug('images/\u{1F600}.png', 'asset')).toBe('images/\u{1F600}.png');
    });

    it('assets_upload over MCP refuses it before writing: no ghost asset', async () => {
      const r = await call(client, 'assets_upload', { slug: `a${LONE}.png`, content: b64(PNG_1PX) });
      expect(r.error).toMatchObject({ code: 422, type: 'VALIDATION_ERROR', field: 'slug' });
      const list = await call<{ assets: unknown[]; total: number }>(client, 'assets_list');
      expect(list.data.assets).toEqual([]);
      expect(list.data.total).toBe(0);
    });

    it('assets_upload over REST refuses it before writing: no ghost asset', async () => {
      const r = await rest('POST', `${P()}/assets`, { slug: `images/b${LONE}.png`, content: b64(PNG_1PX) });
      expect(r.status).toBe(422);
      expect(r.json.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'slug' });
      const bulk = await rest('POST', `${P()}/assets/bulk`, { assets: [{ slug: 'ok.png', content: b64(PNG_1PX) }, { slug: `c${LONE}.png`, content: b64(PNG_1PX) }] });
      expect(bulk.status).toBe(422);
      const list = await rest('GET', `${P()}/assets`);
      expect(list.json.data).toMatchObject({ assets: [], total: 0 });
    });

    it('every free-text input refuses it with VALIDATION_ERROR naming the field, over MCP and REST', async () => {
      await call(client, 'assets_upload', { slug: 'files/book.pdf', content: b64(PDF_MIN), private: true });
      await call(client, 'pages_create', { slug: 'base.html', content: '<p>base</p>' });
      const base = (await call<{ version_hash: string }>(client, 'pages_get', { slug: 'base.html', include_version: true })).data.version_hash;
      const before = await counts();
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['pages_create', { slug: `p${LONE}.html`, content: 'x' }, 'slug'],
        ['pages_create', { slug: 'c.html', content: `x${LONE}y` }, 'content'],
        ['pages_create', { slug: 'm.html', content: 'x', meta: { title: `t${LONE}` } }, 'meta.title'],
        ['pages_create', { slug: 'm.html', content: 'x', meta: { [`k${LONE}`]: 'v' } }, 'meta'],
        ['pages_create', { slug: 's.html', content: 'x', seo: { description: ['a', `b${LONE}`] } }, 'seo.description.1'],
        ['pages_bulk_create', { pages: [{ slug: 'ok.html', content: 'x' }, { slug: 'bad.html', content: LONE }] }, 'pages.1.content'],
        ['pages_update', { slug: 'base.html', content: `u${LONE}` }, 'content'],
        ['pages_patch', { slug: 'base.html', base_version_hash: base, patches: [{ operation: 'replace', find: 'base', replace: `r${LONE}` }] }, 'patches.0.replace'],
        ['pages_patch', { slug: 'base.html', base_version_hash: base, patches: [{ operation: 'replace', find: 'base', replace: 'r' }], patch_summary: `s${LONE}` }, 'patch_summary'],
        ['assets_upload', { slug: 'alt.png', content: b64(PNG_1PX), alt: `a${LONE}` }, 'alt'],
        ['assets_upload', { slug: 'css/site.css', content_text: `body{}${LONE}` }, 'content_text'],
        ['file-downloads_generate_token', { asset_url: '/files/book.pdf', filename: `f${LONE}.pdf` }, 'filename'],
        ['file-downloads_generate_token', { asset_url: '/files/book.pdf', visitor_id: `v${LONE}` }, 'visitor_id'],
        ['file-downloads_generate_token', { asset_url: '/files/book.pdf', metadata: { order: `o${LONE}` } }, 'metadata.order'],
        ['file-downloads_generate_token', { asset_url: '/files/book.pdf', metadata: { [`o${LONE}`]: '1' } }, 'metadata'],
      ];
      for (const [tool, args, field] of cases) {
        const r = await call(client, tool, args);
        expect(r.error, `${tool} ${field}`).toMatchObject({ code: 422, type: 'VALIDATION_ERROR', field });
        expect(r.error.message, `${tool} ${field}`).toMatch(/surrogate/i);
      }
      const r = await rest('POST', `${P()}/pages`, { slug: 'c.html', content: `x${LONE}y` });
      expect(r.status).toBe(422);
      expect(r.json.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'content' });
      expect(await counts()).toEqual(before);
      expect((await call<{ content: string }>(client, 'pages_get', { slug: 'base.html' })).data.content).toBe('<p>base</p>');
    });

    it('the account API refuses it in a project name', async () => {
      const account = (await env.core.projects.issueToken({ projectId: null })).token;
      const r = await req('/papi/projects', { method: 'POST', headers: { ...auth, authorization: `Bearer ${account}` }, body: JSON.stringify({ name: `Cafe ${LONE}` }) });
      expect(r.status).toBe(422);
      expect(((await r.json()) as Envelope).error).toMatchObject({ type: 'VALIDATION_ERROR' });
      expect((await env.core.projects.list()).length).toBe(1);
    });

    it('well-formed text outside the BMP is stored and returned faithfully', async () => {
      const text = 'caf\u00e9 \u{1F600} \u{10FFFF}';
      const created = await call(client, 'pages_create', { slug: 'emoji-\u{1F600}.html', content: text, meta: { title: text } });
      expect(created.ok).toBe(true);
      const got = await call<{ content: string; meta: Record<string, unknown> }>(client, 'pages_get', { slug: 'emoji-\u{1F600}.html' });
      expect(got.data.content).toBe(text);
      expect(got.data.meta).toEqual({ title: text });
    });
  });

  describe('deeply nested meta, seo and metadata', () => {
    it('refuses 5,000 levels with VALIDATION_ERROR over MCP and REST, and writes nothing', async () => {
      const before = await counts();
      const deep = nest(5000);
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['pages_create', { slug: 'deep.html', content: 'x', meta: deep }, 'meta'],
        ['pages_create', { slug: 'deep.html', content: 'x', seo: { a: deep } }, 'seo'],
        ['pages_update', { slug: 'base.html', content: 'x', meta: deep }, 'meta'],
        ['pages_bulk_create', { pages: [{ slug: 'deep.html', content: 'x', seo: deep }] }, 'pages.0.seo'],
        ['file-downloads_generate_token', { asset_url: '/files/book.pdf', metadata: deep }, 'metadata'],
      ];
      for (const [tool, args, field] of cases) {
        const r = await call(client, tool, args);
        expect(r.error, `${tool} ${field}`).toMatchObject({ code: 422, type: 'VALIDATION_ERROR', field });
        expect(r.error.message, tool).toMatch(/nested more than 8 levels/);
      }
      const r = await rest('POST', `${P()}/pages`, withDeep({ slug: 'deep.html', content: 'x', meta: 'DEEP' }, 100_000));
      expect(r.status).toBe(422);
      expect(r.json.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'meta' });
      const t = await rest('POST', `/iapi/project/${env.project.id}/file-downloads/generate-token`, { asset_url: '/files/book.pdf', metadata: { a: [[[[[[[[[1]]]]]]]]] } });
      expect(t.status).toBe(422);
      expect(await counts()).toEqual(before);
    });

    it('accepts up to 8 levels, and bounds the total size', async () => {
      expect((await call(client, 'pages_create', { slug: 'eight.html', content: 'x', meta: nest(8), seo: { a: [[[[[[1]]]]]] } })).ok).toBe(true);
      expect((await call(client, 'pages_create', { slug: 'nine.html', content: 'x', meta: nest(9) })).error.type).toBe('VALIDATION_ERROR');
      const big = await call(client, 'pages_create', { slug: 'big.html', content: 'x', seo: { description: 'd'.repeat(70_000) } });
      expect(big.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'seo' });
      expect(big.error.message).toMatch(/65536 bytes/);
      const meta = await call(client, 'file-downloads_generate_token', { asset_url: '/files/book.pdf', metadata: { note: 'n'.repeat(5000) } });
      expect(meta.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'metadata' });
    });
  });

  describe('resources/list cursor', () => {
    const bad = ['abc', '-5', '1.5', '0x10', '1e3', ' 5', '', '01', '9007199254740993', '18446744073709551616', '99999999999999999999', '9'.repeat(400), 'x'.repeat(100_000)];
    it.each(bad.map((c) => [c.length > 30 ? `${c.slice(0, 10)}... (${c.length} characters)` : JSON.stringify(c), c]))(
      'refuses cursor %s with -32602',
      async (_label, cursor) => {
        const e = await rpcError(client.listResources({ cursor }));
        expect(e.code).toBe(-32602);
        expect(e.message).toMatch(/cursor/);
        expect(e.message.length).toBeLessThan(400);
      },
    );

    it('accepts the cursors it issues', async () => {
      const first = await client.listResources();
      expect(first.resources.length).toBeGreaterThan(0);
      const again = await client.listResources({ cursor: '0' });
      expect(again.resources).toEqual(first.resources);
      expect((await client.listResources({ cursor: String(first.resources.length) })).resources).toEqual([]);
    });
  });

  describe('malformed JSON-RPC requests answer -32602 with a readable message', () => {
    const any = z.any();
    const send = (method: string, params: unknown): Promise<unknown> => client.request({ method, params } as never, any, { timeout: 5000 });

    // The tools/call envelope is validated by the SDK v2 Server itself, before any handler runs (no
    // public hook reaches it): -32602 naming the field, in the SDK's own wording (a list of issues).
    it.each([['a string', 'str'], ['an array', [1, 2]], ['a number', 5], ['null', null], ['a boolean', true]])('tools/call with arguments that are %s', async (_what, args) => {
      const e = await rpcError(send('tools/call', { name: 'pages_list', arguments: args }));
      expect(e.code).toBe(-32602);
      expect(e.message).toMatch(/arguments/);
      expect(e.message).toMatch(/expected record/);
    });

    it.each([
      ['tools/call', {}, 'name'],
      ['tools/call', { name: 5 }, 'name'],
    ])('%s with %j (SDK-validated envelope)', async (method, params, field) => {
      const e = await rpcError(send(method, params));
      expect(e.code).toBe(-32602);
      expect(e.message).toContain(field);
      expect(e.message.length).toBeLessThan(600);
    });

    it.each([
      ['tools/list', { cursor: 5 }],
      ['resources/list', { cursor: 5 }],
      ['resources/read', {}],
      ['resources/read', { uri: 5 }],
      ['resources/read', { uri: 'nope' }],
      ['resources/read', { uri: `sitepub://${'p'}/pages/%E0` }],
      ['resources/read', { uri: `sitepub://PROJECT/pages/a${LONE}.html` }],
      ['resources/templates/list', { cursor: [] }],
      ['prompts/list', { cursor: {} }],
      ['prompts/get', {}],
      ['prompts/get', { name: 'build_site', arguments: 'x' }],
      ['prompts/get', { name: 'build_site', arguments: { description: 5 } }],
      ['prompts/get', { name: 'nope' }],
      ['completion/complete', {}],
      ['completion/complete', { ref: { type: 'bogus' }, argument: { name: 'slug', value: 'a' } }],
      ['completion/complete', { ref: { type: 'ref/resource', uri: 'sitepub://{project_id}/pages/{slug}' }, argument: 5 }],
      ['completion/complete', { ref: { type: 'ref/resource', uri: 'sitepub://{project_id}/pages/{slug}' }, argument: { name: 'slug', value: 'a' }, context: { arguments: [] } }],
      ['logging/setLevel', { level: 'loud' }],
    ])('%s with %j', async (method, params) => {
      const e = await rpcError(send(method, JSON.parse(JSON.stringify(params).replace('PROJECT', env.project.id))));
      expect(e.code).toBe(-32602);
      expect(e.message).not.toContain('"code"');
      expect(e.message.length).toBeLessThan(600);
    });

    it('the same over the stateless HTTP endpoint, including 100,000 levels of nesting', async () => {
      const h = { ...auth, accept: 'application/json, text/event-stream' };
      const deep = 100_000;
      const bodies: string[] = [
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'pages_list', arguments: 'str' } }),
        JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'resources/list', params: { cursor: '99999999999999999999' } }),
        withDeep({ jsonrpc: '2.0', id: 3, method: 'prompts/get', params: { name: 'edit_page', arguments: 'DEEP' } }, deep),
        withDeep({ jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'DEEP' } }, deep),
        withDeep({ jsonrpc: '2.0', id: 5, method: 'completion/complete', params: { ref: 'DEEP', argument: { name: 'slug', value: '' } } }, deep),
      ];
      for (const body of bodies) {
        const r = await req('/mcp', { method: 'POST', headers: h, body });
        const json = (await r.json()) as { error?: { code: number; message: string } };
        expect(r.status, JSON.stringify(json).slice(0, 300)).toBeLessThan(500);
        expect(json.error?.code, JSON.stringify(json).slice(0, 300)).toBe(-32602);
      }
      // Messages that are not valid JSON-RPC at all (the SDK checks those before any handler) are
      // refused by the transport, deep or not, without a crash.
      for (const body of [
        JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping', params: { _meta: 5 } }),
        withDeep({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'pages_list', _meta: 'DEEP' } }, deep).replace('"v"', '[]'),
        withDeep({ jsonrpc: '2.0', id: 'DEEP', method: 'ping' }, deep),
        withDeep({ jsonrpc: '2.0', id: 9, method: 'ping', params: 'DEEP' }, deep).replace(nestJson(deep), `[${nestJson(deep)}]`),
      ]) {
        const r = await req('/mcp', { method: 'POST', headers: h, body });
        expect(r.status, body.slice(0, 100)).toBeLessThan(500);
      }
      // Deep tool arguments are the tool's own validation error (an isError result), not a crash.
      const r = await req('/mcp', { method: 'POST', headers: h, body: withDeep({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'pages_create', arguments: { slug: 'd.html', content: 'x', meta: 'DEEP' } } }, deep) });
      expect(r.status).toBe(200);
      const res = (await r.json()) as { result: { isError: boolean; content: Array<{ text: string }> } };
      expect(res.result.isError).toBe(true);
      expect(JSON.parse(res.result.content[0]!.text)).toMatchObject({ type: 'VALIDATION_ERROR', field: 'meta' });
    });
  });
});
