import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../tools/index.js';
import { b64, makeApp, makeEnv, PDF_MIN, PNG_1PX, type TestEnv } from './helpers.js';

type Envelope = { success: boolean; data: Record<string, unknown>; error: { code: number; type: string; message: string } };

describe('REST API: every endpoint end to end', () => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  let write: string;
  let read: string;
  let account: string;
  const seen = new Set<string>();

  beforeAll(async () => {
    env = await makeEnv();
    req = makeApp(env);
    write = (await env.core.projects.issueToken({ projectId: env.project.id })).token;
    read = (await env.core.projects.issueToken({ projectId: env.project.id, scope: 'read' })).token;
    account = (await env.core.projects.issueToken({ projectId: null })).token;
  });
  afterAll(() => env.close());

  async function api(method: string, route: string, path: string, body?: unknown, token = write): Promise<{ status: number; json: Envelope }> {
    seen.add(`${method} ${route}`);
    const r = await req(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, json: (await r.json()) as Envelope };
  }

  it('walks the whole API', async () => {
    const P = `/papi/project/${env.project.id}`;
    const F = `/iapi/project/${env.project.id}/file-downloads`;
    const pp = '/papi/project/:project_id';
    const fp = '/iapi/project/:project_id/file-downloads';

    expect((await api('GET', `${pp}/status`, `${P}/status`)).json.data).toMatchObject({ pages_count: 0 });
    expect((await api('POST', `${pp}/pages`, `${P}/pages`, { slug: 'index.html', content: '<h1>A</h1>' })).status).toBe(201);
    expect((await api('POST', `${pp}/pages/bulk`, `${P}/pages/bulk`, { pages: [{ slug: 'b.html', content: 'b' }, { slug: 'docs/c.html', content: 'c' }] })).json.data.created).toBe(2);
    expect((await api('GET', `${pp}/pages`, `${P}/pages`)).json.data.total).toBe(3);
    const got = await api('GET', `${pp}/pages/:slug{.+}`, `${P}/pages/index.html?include_version=1`);
    expect(got.json.data.version).toBe(1);
    expect((await api('PUT', `${pp}/pages/:slug{.+}`, `${P}/pages/docs/c.html`, { content: 'c2' })).json.data.version).toBe(2);
    const patched = await api('PATCH', `${pp}/pages/:slug{.+}`, `${P}/pages/index.html`, { base_version_hash: got.json.data.version_hash, patches: [{ operation: 'replace', find: 'A', replace: 'B' }] });
    expect(patched.json.data).toMatchObject({ version: 2, patches_applied: 1 });
    expect((await api('GET', `${pp}/pages/:slug{.+}/versions`, `${P}/pages/index.html/versions`)).json.data.current_version).toBe(2);
    expect((await api('POST', `${pp}/pages/:slug{.+}/rollback`, `${P}/pages/index.html/rollback`, { target_version: 1 })).json.data.new_version).toBe(3);
    expect((await api('DELETE', `${pp}/pages/:slug{.+}`, `${P}/pages/b.html`)).json.data).toMatchObject({ deleted: true });

    expect((await api('POST', `${pp}/assets`, `${P}/assets`, { slug: 'img/a.png', content: b64(PNG_1PX) })).status).toBe(201);
    expect((await api('POST', `${pp}/assets/bulk`, `${P}/assets/bulk`, { assets: [{ slug: 'site.css', content_text: 'a{}' }, { slug: 'files/x.pdf', content: b64(PDF_MIN), private: true }] })).json.data.uploaded).toBe(2);
    const upload = await api('POST', `${pp}/assets/upload-url`, `${P}/assets/upload-url`, { slug: 'files/course.zip', private: true });
    expect(upload.status).toBe(201);
    expect(upload.json.data).toMatchObject({ method: 'PUT', curl: `curl -T FILE '${upload.json.data.upload_url}'` });
    expect((await api('GET', `${pp}/assets`, `${P}/assets?limit=2`)).json.data).toMatchObject({ total: 3 });
    expect((await api('GET', `${pp}/assets/:slug{.+}`, `${P}/assets/img/a.png`)).json.data.content).toBe(b64(PNG_1PX));
    expect((await api('DELETE', `${pp}/assets/:slug{.+}`, `${P}/assets/site.css`)).json.data).toMatchObject({ deleted: true });

    const gen = await api('POST', `${fp}/generate-token`, `${F}/generate-token`, { asset_url: '/files/x.pdf', max_uses: 2 });
    expect(gen.status).toBe(201);
    const token = gen.json.data.token as string;
    expect((await api('POST', `${fp}/verify-token`, `${F}/verify-token`, { token })).json.data).toMatchObject({ valid: true, remaining_uses: 1 });
    expect((await api('GET', `${fp}/list-downloads`, `${F}/list-downloads?status=active`)).json.data.total).toBe(1);
    expect((await api('POST', `${fp}/revoke-token`, `${F}/revoke-token`, { token_id: gen.json.data.token_id })).json.data).toMatchObject({ revoked: true });
    const refused = await api('POST', `${fp}/verify-token`, `${F}/verify-token`, { token });
    expect(refused.status).toBe(403);
    expect(refused.json.error.type).toBe('TOKEN_REVOKED');
    expect((await api('GET', `${fp}/get-stats`, `${F}/get-stats?days=7`)).json.data).toMatchObject({ total_downloads: 1, revoked_tokens: 1, refusals: [{ reason: 'TOKEN_REVOKED', attempts: 1 }] });
    const gen2 = await api('POST', `${fp}/generate-token`, `${F}/generate-token`, { asset_url: '/files/x.pdf' });
    expect((await api('POST', `${fp}/update-token`, `${F}/update-token`, { token_id: gen2.json.data.token_id, add_uses: 2 })).json.data).toMatchObject({ max_uses: 3, remaining_uses: 3 });
    expect((await api('GET', `${fp}/list-attempts`, `${F}/list-attempts?outcome=refused`)).json.data).toMatchObject({ total: 1, attempts: [{ outcome: 'TOKEN_REVOKED' }] });
    const wp = '/iapi/project/:project_id/webhooks';
    const W = `/iapi/project/${env.project.id}/webhooks`;
    expect((await api('POST', `${wp}/set`, `${W}/set`, { url: 'https://shop.example.com/hooks', events: ['download.completed'] })).json.data.secret).toMatch(/^whsec_/);
    expect((await api('GET', `${wp}/list-deliveries`, `${W}/list-deliveries`)).json.data).toMatchObject({ webhook: { url: 'https://shop.example.com/hooks' }, total: 0 });
    expect((await api('POST', `${wp}/delete`, `${W}/delete`, {})).json.data).toEqual({ deleted: true });

    expect((await api('GET', `${pp}/stats`, `${P}/stats?days=7`)).json.data).toMatchObject({ days: 7, total_views: 0 });
    expect((await api('GET', `${pp}/check`, `${P}/check`)).json.data).toMatchObject({ home_page: true });
    expect((await api('GET', `${pp}/pages/:slug{.+}/diff`, `${P}/pages/index.html/diff?from_version=1&to_version=2`)).json.data).toMatchObject({ from_version: 1, to_version: 2 });
    expect((await api('POST', `${pp}/pages/:slug{.+}/preview`, `${P}/pages/index.html/preview`, { version: 1 })).json.data.preview_url).toContain('/_sitepub/preview/index.html?v=1&');
    const added = await api('POST', `${pp}/domains`, `${P}/domains`, { domain: 'www.example.com' });
    expect(added.status).toBe(201);
    expect(added.json.data).toMatchObject({ domain: 'www.example.com', status: 'pending' });
    expect((await api('POST', `${pp}/domains/:domain/verify`, `${P}/domains/www.example.com/verify`, {})).json.data).toMatchObject({ status: 'pending', found: false });
    expect((await api('GET', `${pp}/domains`, `${P}/domains`)).json.data.domains).toHaveLength(1);
    expect((await api('DELETE', `${pp}/domains/:domain`, `${P}/domains/www.example.com`)).json.data).toEqual({ domain: 'www.example.com', removed: true });

    for (const t of ALL_TOOLS) expect(seen.has(`${t.rest.method} ${t.rest.path}`), `${t.rest.method} ${t.rest.path}`).toBe(true);
  });

  it('scopes: read-only tokens read but cannot write; account tokens cover every project', async () => {
    const P = `/papi/project/${env.project.id}`;
    expect((await api('GET', '', `${P}/pages`, undefined, read)).status).toBe(200);
    const denied = await api('POST', '', `${P}/pages`, { slug: 'x.html', content: 'x' }, read);
    expect(denied.status).toBe(403);
    expect(denied.json.error.type).toBe('FORBIDDEN');

    const created = await api('POST', '', '/papi/projects', { name: 'Second site', subdomain: 'second' }, account);
    expect(created.status).toBe(201);
    const id = created.json.data.project_id as string;
    expect((await api('POST', '', `/papi/project/${id}/pages`, { slug: 'index.html', content: 'x' }, account)).status).toBe(201);
    expect((await api('GET', '', '/papi/projects', undefined, account)).json.data.total).toBe(2);
    expect((await api('GET', '', `/papi/project/${id}/status`, undefined, write)).status).toBe(401);
    expect((await api('GET', '', '/papi/projects', undefined, write)).status).toBe(403);
    const revoked = (await env.core.projects.issueToken({ projectId: env.project.id })).token;
    await env.core.projects.revokeToken(revoked);
    expect((await api('GET', '', `${P}/status`, undefined, revoked)).status).toBe(401);
  });
});
