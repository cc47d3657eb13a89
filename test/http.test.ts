import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, makeApp, makeEnv, PDF_MIN, PNG_1PX, type TestEnv } from './helpers.js';

const SITE = 'bakery.localhost:8787';

describe('HTTP platform', () => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  let token: string;
  let auth: Record<string, string>;
  beforeAll(async () => {
    env = await makeEnv();
    req = makeApp(env);
    token = (await env.core.projects.issueToken({ projectId: env.project.id })).token;
    auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  });
  afterAll(() => env.close());

  const base = () => `/papi/project/${env.project.id}`;

  it('REST: envelope, status codes, auth', async () => {
    let r = await req(`${base()}/status`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
    expect(await r.json()).toMatchObject({ success: false, error: { code: 401, type: 'UNAUTHORIZED' } });

    r = await req(`${base()}/pages`, { method: 'POST', headers: auth, body: JSON.stringify({ slug: 'index.html', content: '<h1>Hello</h1>', meta: { title: 'Home' } }) });
    expect(r.status).toBe(201);
    const created = (await r.json()) as { success: boolean; data: { version_hash: string } };
    expect(created.success).toBe(true);

    r = await req(`${base()}/pages/index.html?include_version=true`, { headers: auth });
    const got = (await r.json()) as { data: { version: number; version_hash: string } };
    expect(got.data.version).toBe(1);

    r = await req(`${base()}/pages/index.html`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ base_version_hash: got.data.version_hash, patches: [{ operation: 'replace', find: 'Hello', replace: 'Hallo' }] }),
    });
    expect(r.status).toBe(200);
    r = await req(`${base()}/pages/index.html`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({ base_version_hash: got.data.version_hash, patches: [{ operation: 'replace', find: 'Hallo', replace: 'x' }] }),
    });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('VERSION_CONFLICT');

    await req(`${base()}/pages`, { method: 'POST', headers: auth, body: JSON.stringify({ slug: 'blog/post-1.html', content: '<p>post</p>' }) });
    r = await req(`${base()}/pages/blog/post-1.html/versions`, { headers: auth });
    expect(((await r.json()) as { data: { versions: unknown[] } }).data.versions).toHaveLength(1);
    r = await req(`${base()}/pages/blog/post-1.html/rollback`, { method: 'POST', headers: auth, body: JSON.stringify({ target_version: 1 }) });
    expect(((await r.json()) as { data: { new_version: number } }).data.new_version).toBe(2);

    r = await req(`${base()}/pages?limit=1&offset=0`, { headers: auth });
    expect(((await r.json()) as { data: { pages: unknown[]; total: number } }).data).toMatchObject({ total: 2 });

    r = await req(`${base()}/pages`, { method: 'POST', headers: auth, body: '{not json' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('VALIDATION_ERROR');
    r = await req(`${base()}/pages`, { method: 'POST', headers: auth, body: JSON.stringify({ slug: 5 }) });
    expect(r.status).toBe(422);
    r = await req(`${base()}/pages?limit=abc`, { headers: auth });
    expect(r.status).toBe(422);

    const other = await env.core.projects.create({ name: 'Other', subdomain: 'other-site' });
    r = await req(`/papi/project/${other.id}/status`, { headers: auth });
    expect(r.status).toBe(401);

    r = await req(`${base()}/pages`, { method: 'POST', headers: auth, body: 'x'.repeat(9 * 1024 * 1024) });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('PAYLOAD_TOO_LARGE');
  });

  it('serves sites live after each write, with ETag/304 and nosniff', async () => {
    // Its own site, so the test stands alone (no reliance on what the REST test wrote).
    const project = await env.core.projects.create({ name: 'Live', subdomain: 'live' });
    const SITE = 'live.localhost:8787';
    await env.core.pages.create(project, { slug: 'index.html', content: '<h1>Hallo</h1>' });
    await env.core.pages.create(project, { slug: 'blog/post-1.html', content: '<p>post</p>' });
    let r = await req('/', { host: SITE });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = r.headers.get('etag')!;
    expect(await r.text()).toContain('Hallo');
    r = await req('/', { host: SITE, headers: { 'if-none-match': etag } });
    expect(r.status).toBe(304);

    await env.core.pages.update(project, { slug: 'index.html', content: '<h1>Changed</h1>' });
    r = await req('/', { host: SITE, headers: { 'if-none-match': etag } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('<h1>Changed</h1>');

    r = await req('/blog/post-1', { host: SITE });
    expect(r.status).toBe(200);
    r = await req('/blog/post-1.html', { host: SITE });
    expect(await r.text()).toBe('<p>post</p>');

    await env.core.assets.upload(project, { slug: 'images/logo.png', content: b64(PNG_1PX) });
    await env.core.assets.upload(project, { slug: 'images/icon.svg', content_text: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' });
    await env.core.assets.upload(project, { slug: 'files/secret.pdf', content: b64(PDF_MIN), private: true });
    r = await req('/images/logo.png', { host: SITE });
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await r.arrayBuffer()).equals(PNG_1PX)).toBe(true);
    r = await req('/images/icon.svg', { host: SITE });
    expect(r.headers.get('content-security-policy')).toContain('sandbox');
    r = await req('/files/secret.pdf', { host: SITE });
    expect(r.status).toBe(404);

    r = await req('/missing.html', { host: SITE });
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('Page not found');
    await env.core.pages.create(project, { slug: '404.html', content: '<h1>Custom 404</h1>' });
    r = await req('/missing.html', { host: SITE });
    expect(r.status).toBe(404);
    expect(await r.text()).toBe('<h1>Custom 404</h1>');

    await env.core.pages.delete(project, 'blog/post-1.html');
    r = await req('/blog/post-1.html', { host: SITE });
    expect(r.status).toBe(404);

    r = await req('/', { host: SITE, method: 'POST' });
    expect(r.status).toBe(405);
    r = await req('/', { host: 'nosuchsite.localhost:8787' });
    expect(r.status).toBe(404);
  });

  it('site hosts never expose the API, MCP or private files', async () => {
    let r = await req(`${base()}/status`, { host: SITE, headers: auth });
    expect(r.status).toBe(404);
    r = await req('/mcp', { host: SITE, method: 'POST', headers: auth, body: '{}' });
    expect(r.status).toBe(405);
    r = await req('/healthz', { host: 'evil.example.com' });
    expect(r.status).toBe(403);
  });

  it('MCP endpoint: bearer required, origin checked, GET is 405', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    let r = await req('/mcp', { method: 'POST', headers: h, body: JSON.stringify(init) });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    r = await req('/mcp', { method: 'POST', headers: { ...h, authorization: `Bearer ${token}`, origin: 'http://evil.example.com' }, body: JSON.stringify(init) });
    expect(r.status).toBe(403);
    r = await req('/mcp', { method: 'POST', headers: { ...h, authorization: `Bearer ${token}` }, body: JSON.stringify(init) });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('sitepub');
    r = await req('/mcp', { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(405);
  });
});
