import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../tools/index.js';
import { DIALECTS } from './dialects.js';
import { b64, call, connect, makeEnv, PDF_MIN, PNG_1PX, type TestEnv } from './helpers.js';

const DOCUMENTED_TOOLS = [
  'project_status',
  'pages_list',
  'pages_get',
  'pages_create',
  'pages_update',
  'pages_patch',
  'pages_delete',
  'pages_versions',
  'pages_rollback',
  'pages_bulk_create',
  'assets_list',
  'assets_get',
  'assets_upload',
  'assets_delete',
  'assets_bulk_upload',
  'assets_create_upload_url',
  'file-downloads_generate_token',
  'file-downloads_verify_token',
  'file-downloads_list_downloads',
  'file-downloads_revoke_token',
  'file-downloads_get_stats',
  'file-downloads_update_token',
  'file-downloads_list_attempts',
  'webhooks_set',
  'webhooks_delete',
  'webhooks_list_deliveries',
  'site_stats',
  'site_check',
  'pages_diff',
  'pages_preview',
  'domains_add',
  'domains_verify',
  'domains_list',
  'domains_remove',
];

describe('tool catalogue', () => {
  let env: TestEnv;
  let client: Client;
  beforeAll(async () => {
    env = await makeEnv();
    client = await connect(env.core);
  });
  afterAll(() => env.close());

  it('lists exactly the documented tools (docs/tools.md) with schemas, titles and all four annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...DOCUMENTED_TOOLS].sort());
    for (const t of tools) {
      expect(t.name).toMatch(/^[a-z0-9_-]{1,40}$/);
      expect(t.title, t.name).toBeTruthy();
      expect(t.description!.length, t.name).toBeGreaterThan(80);
      expect(t.inputSchema.type).toBe('object');
      expect(t.inputSchema).not.toHaveProperty('anyOf');
      expect(t.inputSchema).not.toHaveProperty('oneOf');
      expect(t.outputSchema?.type).toBe('object');
      for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof t.annotations?.[k], `${t.name}.${k}`).toBe('boolean');
      }
      // Cursor filters tools whose server name + tool name exceed 60 characters.
      expect(`sitepub_${t.name}`.length).toBeLessThanOrEqual(60);
    }
  });

  it('mentions what to call first where order matters', () => {
    const patch = ALL_TOOLS.find((t) => t.name === 'pages_patch')!;
    expect(patch.description).toContain('pages_get');
    expect(patch.description).toContain('include_version');
    const gen = ALL_TOOLS.find((t) => t.name === 'file-downloads_generate_token')!;
    expect(gen.description).toContain('assets_upload');
  });

  it('read-only actors only see read-only tools', async () => {
    const ro = await connect(env.core, { actor: { kind: 'project', projectId: env.project.id, scope: 'read', tokenId: null } });
    const { tools } = await ro.listTools();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((t) => t.annotations?.readOnlyHint)).toBe(true);
    expect(tools.map((t) => t.name)).not.toContain('pages_create');
  });
});

describe.each(DIALECTS)('tools end to end through the SDK client on %s', (dialect) => {
  let env: TestEnv;
  let client: Client;
  beforeAll(async () => {
    env = await makeEnv({ dialect });
    client = await connect(env.core);
  });
  afterAll(() => env.close());

  it('builds and edits a site', async () => {
    const st = await call(client, 'project_status');
    expect(st.data).toMatchObject({ project_id: env.project.id, domain: 'bakery.localhost', url: 'http://bakery.localhost:8787', pages_count: 0, status: 'empty' });
    expect(JSON.parse((st.raw.content as Array<{ text: string }>)[0]!.text)).toEqual(st.data);

    const bulk = await call<{ created: number }>(client, 'pages_bulk_create', {
      pages: [
        { slug: 'index.html', content: '<html><body><h1>Welcome</h1></body></html>', meta: { title: 'Home' } },
        { slug: 'about.html', content: '<p>About</p>' },
      ],
    });
    expect(bulk.ok).toBe(true);
    expect(bulk.data.created).toBe(2);

    const got = await call<{ version_hash: string; version: number }>(client, 'pages_get', { slug: 'index.html', include_version: true });
    expect(got.data.version).toBe(1);
    const patched = await call<{ version: number; version_hash: string }>(client, 'pages_patch', {
      slug: 'index.html',
      base_version_hash: got.data.version_hash,
      patches: [{ operation: 'replace', find: '<h1>Welcome</h1>', replace: '<h1>Fresh bread</h1>' }],
      patch_summary: 'heading',
    });
    expect(patched.data.version).toBe(2);

    const conflict = await call(client, 'pages_patch', { slug: 'index.html', base_version_hash: got.data.version_hash, patches: [{ operation: 'delete', find: 'bread' }] });
    expect(conflict.error).toMatchObject({ code: 409, type: 'VERSION_CONFLICT', current_version_hash: patched.data.version_hash });

    const nf = await call(client, 'pages_patch', { slug: 'index.html', base_version_hash: patched.data.version_hash, patches: [{ operation: 'delete', find: 'nope' }] });
    expect(nf.error).toMatchObject({ code: 422, type: 'PATCH_FIND_NOT_FOUND', patch_index: 0 });

    const amb = await call(client, 'pages_patch', { slug: 'index.html', base_version_hash: patched.data.version_hash, patches: [{ operation: 'delete', find: '<' }] });
    expect(amb.error.type).toBe('PATCH_FIND_AMBIGUOUS');

    const noReplace = await call(client, 'pages_patch', { slug: 'index.html', base_version_hash: patched.data.version_hash, patches: [{ operation: 'replace', find: 'bread' }] });
    expect(noReplace.error.type).toBe('VALIDATION_ERROR');

    const upd = await call(client, 'pages_update', { slug: 'about.html', content: '<p>About us</p>' });
    expect(upd.data).toMatchObject({ version: 2 });

    const versions = await call<{ versions: unknown[] }>(client, 'pages_versions', { slug: 'index.html' });
    expect(versions.data.versions).toHaveLength(2);
    const rb = await call(client, 'pages_rollback', { slug: 'index.html', target_version: 1 });
    expect(rb.data).toMatchObject({ rolled_back_to: 1, new_version: 3 });

    const list = await call<{ total: number }>(client, 'pages_list', { limit: 10 });
    expect(list.data.total).toBe(2);

    const dup = await call(client, 'pages_create', { slug: 'about.html', content: 'x' });
    expect(dup.error).toMatchObject({ code: 409, type: 'ALREADY_EXISTS' });
    const del = await call(client, 'pages_delete', { slug: 'about.html' });
    expect(del.data).toMatchObject({ deleted: true });
    const gone = await call(client, 'pages_get', { slug: 'about.html' });
    expect(gone.error).toMatchObject({ code: 404, type: 'NOT_FOUND' });
  });

  it('uploads, lists, gets and deletes assets', async () => {
    const css = await call<{ url: string; content_type: string }>(client, 'assets_upload', { slug: 'css/site.css', content_text: 'body{color:red}' });
    expect(css.data).toMatchObject({ url: 'http://bakery.localhost:8787/css/site.css', content_type: 'text/css; charset=utf-8', private: false });
    const png = await call<{ sha256: string; size_bytes: number }>(client, 'assets_upload', { slug: 'images/logo.png', content: b64(PNG_1PX), alt: 'Logo' });
    expect(png.data.size_bytes).toBe(PNG_1PX.length);
    const pdf = await call<{ url: string | null; path: string }>(client, 'assets_upload', { slug: 'files/book.pdf', content: b64(PDF_MIN), private: true });
    expect(pdf.data).toMatchObject({ url: null, path: '/files/book.pdf', private: true });

    const again = await call(client, 'assets_upload', { slug: 'css/site.css', content_text: 'x{}' });
    expect(again.error.type).toBe('ALREADY_EXISTS');
    const over = await call<{ private: boolean }>(client, 'assets_upload', { slug: 'files/book.pdf', content: b64(PDF_MIN), overwrite: true });
    expect(over.data.private).toBe(true);

    const wrong = await call(client, 'assets_upload', { slug: 'images/fake.png', content_text: '<html></html>' });
    expect(wrong.error.code).toBeGreaterThanOrEqual(400);
    const mismatch = await call(client, 'assets_upload', { slug: 'images/fake.jpg', content: b64(PNG_1PX) });
    expect(mismatch.error).toMatchObject({ code: 415, type: 'UNSUPPORTED_MEDIA_TYPE' });
    const exe = await call(client, 'assets_upload', { slug: 'tool.exe', content: b64('MZ') });
    expect(exe.error.type).toBe('UNSUPPORTED_MEDIA_TYPE');
    const two = await call(client, 'assets_upload', { slug: 'a.css', content: b64('x'), content_text: 'x' });
    expect(two.error.type).toBe('VALIDATION_ERROR');
    const blocked = await call(client, 'assets_upload', { slug: 'a.png', source_url: 'http://169.254.169.254/latest/meta-data' });
    expect(blocked.error).toMatchObject({ code: 422, type: 'SOURCE_URL_BLOCKED' });

    const got = await call<{ content: string }>(client, 'assets_get', { slug: 'images/logo.png' });
    expect(Buffer.from(got.data.content, 'base64').equals(PNG_1PX)).toBe(true);
    // An image also comes as an MCP image block a client can show; text files do not.
    expect((got.raw.content as Array<{ type: string }>).find((c) => c.type === 'image')).toEqual({ type: 'image', data: b64(PNG_1PX), mimeType: 'image/png' });
    const cssGot = await call(client, 'assets_get', { slug: 'css/site.css' });
    expect((cssGot.raw.content as Array<{ type: string }>).map((c) => c.type)).toEqual(['text']);
    const list = await call<{ total: number }>(client, 'assets_list');
    expect(list.data.total).toBe(3);

    const bulkFail = await call(client, 'assets_bulk_upload', { assets: [{ slug: 'ok.txt', content_text: 'hi' }, { slug: 'bad.png', content_text: 'no' }] });
    expect(bulkFail.ok).toBe(false);
    expect(bulkFail.error.index).toBe(1);
    expect((await call<{ total: number }>(client, 'assets_list')).data.total).toBe(3);
    const bulk = await call<{ uploaded: number }>(client, 'assets_bulk_upload', { assets: [{ slug: 'ok.txt', content_text: 'hi' }, { slug: 'data.json', content_text: '{"a":1}' }] });
    expect(bulk.data.uploaded).toBe(2);

    expect((await call(client, 'assets_delete', { slug: 'ok.txt' })).data).toMatchObject({ deleted: true });
    expect((await call(client, 'assets_delete', { slug: 'ok.txt' })).error.type).toBe('NOT_FOUND');

    const clash = await call(client, 'assets_upload', { slug: 'index.html', content_text: '<p>x</p>' });
    expect(clash.error.type).toBe('ALREADY_EXISTS');
  });

  it('turns bad input of every kind into typed errors', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['pages_get', {}, 'VALIDATION_ERROR'],
      ['pages_get', { slug: 42 }, 'VALIDATION_ERROR'],
      ['pages_get', { slug: '../etc/passwd' }, 'VALIDATION_ERROR'],
      ['pages_create', { slug: 'x.html' }, 'VALIDATION_ERROR'],
      ['pages_list', { limit: -1 }, 'VALIDATION_ERROR'],
      ['pages_list', { limit: 'ten' }, 'VALIDATION_ERROR'],
      ['pages_patch', { slug: 'index.html', base_version_hash: 'x', patches: [] }, 'VALIDATION_ERROR'],
      ['pages_patch', { slug: 'index.html', base_version_hash: 'x', patches: [{ operation: 'move', find: 'a' }] }, 'VALIDATION_ERROR'],
      ['pages_rollback', { slug: 'index.html', target_version: 1, target_version_hash: 'abc' }, 'VALIDATION_ERROR'],
      ['assets_upload', { slug: 'x.png', content: '!!!notbase64!!!' }, 'VALIDATION_ERROR'],
      ['file-downloads_generate_token', { asset_url: '/nope.pdf' }, 'NOT_FOUND'],
      ['file-downloads_verify_token', { token: 'garbage' }, 'TOKEN_INVALID'],
      ['project_status', { project_id: 'prj_doesnotexist' }, 'NOT_FOUND'],
    ];
    for (const [tool, args, type] of cases) {
      const r = await call(client, tool, args);
      expect(r.ok, `${tool} ${JSON.stringify(args)}`).toBe(false);
      expect(r.error.type, `${tool} ${JSON.stringify(args)}`).toBe(type);
      expect(r.error.message).not.toMatch(/at .*\.ts:\d+|SELECT|sqlite/i);
    }
  });

  it('unknown arguments are a VALIDATION_ERROR that names them and says where each value belongs', async () => {
    const r = await call(client, 'pages_create', { slug: 'x.html', content: '<p>x</p>', title: 'Home', robots: 'noindex', colour: 'red' });
    expect(r.error).toMatchObject({ code: 422, type: 'VALIDATION_ERROR', field: 'title', unknown_arguments: ['title', 'robots', 'colour'] });
    expect(r.error.message).toContain('"title": put it in meta.title');
    expect(r.error.message).toContain('"robots": put it in seo.robots');
    expect(r.error.message).toMatch(/"colour"[.;]/);
    expect(r.error.message).toContain('This tool takes: slug, content, meta, seo, project_id');
    const nested = await call(client, 'pages_bulk_create', { pages: [{ slug: 'y.html', content: 'y', html: '<p>y</p>' }] });
    expect(nested.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'pages.0.html' });
    expect(nested.error.message).toContain('"html": put it in pages.0.content');
    const patch = await call(client, 'pages_patch', { slug: 'index.html', version_hash: 'abc', patches: [{ operation: 'delete', find: 'x' }] });
    expect(patch.error.message).toContain('put it in base_version_hash');
    expect((await call(client, 'pages_get', { slug: 'x.html' })).error.type).toBe('NOT_FOUND');
  });

  it('metadata is a list of key/value pairs (the object form of REST is still accepted); both read back as an object', async () => {
    await call(client, 'assets_upload', { slug: 'files/meta.pdf', content: b64(PDF_MIN), private: true });
    const list = await call<{ metadata: Record<string, unknown> }>(client, 'file-downloads_generate_token', { asset_url: '/files/meta.pdf', metadata: [{ key: 'order_id', value: '1042' }, { key: 'email', value: 'a@b.c' }] });
    expect(list.data.metadata).toEqual({ order_id: '1042', email: 'a@b.c' });
    const obj = await call<{ metadata: Record<string, unknown> }>(client, 'file-downloads_generate_token', { asset_url: '/files/meta.pdf', metadata: { order_id: 7 } });
    expect(obj.data.metadata).toEqual({ order_id: 7 });
    const dup = await call(client, 'file-downloads_generate_token', { asset_url: '/files/meta.pdf', metadata: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] });
    expect(dup.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'metadata.1.key' });
    const stray = await call(client, 'file-downloads_generate_token', { asset_url: '/files/meta.pdf', metadata: [{ key: 'a', value: '1', note: 'x' }] });
    expect(stray.error.type).toBe('VALIDATION_ERROR');
  });

  it('unknown tools are a protocol error, not a crash', async () => {
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });

  it('a project token cannot reach another project', async () => {
    const other = await env.core.projects.create({ name: 'Other', subdomain: 'other' });
    const scoped = await connect(env.core, { actor: { kind: 'project', projectId: env.project.id, scope: 'write', tokenId: null } });
    const r = await call(scoped, 'pages_list', { project_id: other.id });
    expect(r.error).toMatchObject({ code: 401, type: 'UNAUTHORIZED' });
    const own = await call(scoped, 'pages_list', {});
    expect(own.ok).toBe(true);
  });
});
