import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../src/core/projects.js';
import { listenOnLoopback, makeApp, makeEnv, PNG_1PX, PDF_MIN, type TestEnv } from './helpers.js';

/**
 * The owner's dashboard through app.request (docs/dashboard.md): every route needs the signed-in
 * owner and a project the owner manages, every form its CSRF token, user text is escaped
 * everywhere, user HTML is only ever framed sandboxed, and each action leaves the data the
 * equivalent tool call leaves.
 */

type Req = ReturnType<typeof makeApp>;

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const hiddenValue = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

/** Signs in through a one-time link, as the first start's printed link does; returns the session cookie and the CSRF token. */
async function signIn(env: TestEnv, req: Req, email = 'owner@example.com'): Promise<{ cookie: string; csrf: string }> {
  if (!(await env.core.owners.findByEmail(email))) await env.core.owners.create({ email });
  const link = await env.core.owners.loginLink(email);
  const r = await req(new URL(link.url).pathname);
  expect(r.status).toBe(302);
  const set = r.headers.getSetCookie().find((l) => l.startsWith('sitepub_session='))!;
  const cookie = set.split(';')[0]!;
  const home = await (await req('/', { headers: { cookie } })).text();
  return { cookie, csrf: hiddenValue(home, 'csrf') };
}

describe('owner dashboard (app.request)', () => {
  let env: TestEnv;
  let req: Req;
  let cookie: string;
  let csrf: string;
  let pid: string;
  /** A second project of the same instance: its ids must not work through this project's paths. */
  let other: Project;
  const get = (path: string) => req(path, { headers: { cookie } });
  const post = (path: string, fields: Record<string, string>, withCsrf = true) =>
    req(path, { method: 'POST', headers: { cookie, ...FORM }, body: new URLSearchParams(withCsrf ? { csrf, ...fields } : fields) });

  /** The DNS the domain checks see: TXT records by name. */
  const dns = new Map<string, string[][]>();

  beforeAll(async () => {
    env = await makeEnv({ dnsTxt: async (name) => dns.get(name) ?? [] });
    req = makeApp(env);
    ({ cookie, csrf } = await signIn(env, req));
    pid = env.project.id;
    other = await env.core.projects.create({ name: 'Other', subdomain: 'other' });
  });
  afterAll(() => env.close());

  it('signed out: pages go to sign-in and come back; forms are refused; nothing leaks', async () => {
    const r = await req(`/dashboard/p/${pid}/pages?q=a`);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/dashboard/p/${pid}/pages?q=a`)}`);
    const p = await req(`/dashboard/p/${pid}/tokens`, { method: 'POST', headers: FORM, body: new URLSearchParams({ scope: 'write' }) });
    expect(p.status).toBe(401);
    expect(await env.core.projects.listTokens(pid)).toHaveLength(0);
    // The static files need no session (they hold no secret).
    const css = await req('/dashboard/static/dashboard.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('the home lists projects with site and status; the pages carry the dashboard CSP and no inline script', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain(`/dashboard/p/${pid}`);
    expect(html).toContain(`${env.project.url}/`);
    expect(html).toContain('status-empty');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('frame-src \'self\' http://*.localhost:8787');
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    // Every script is a file from the platform: no inline code, no handler attributes.
    for (const tag of html.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/src="\/dashboard\/static\/dashboard\.js\?v=/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).toContain('<main id="main"');
    expect(html).toContain('href="#main"');
  });

  it('creates a project only with the CSRF token; unknown projects are 404', async () => {
    expect((await post('/dashboard/projects', { name: 'Shop' }, false)).status).toBe(403);
    expect((await post('/dashboard/projects', { name: 'Shop', csrf: 'wrong' }, false)).status).toBe(403);
    expect((await env.core.projects.list()).map((p) => p.name)).not.toContain('Shop');
    const r = await post('/dashboard/projects', { name: 'Shop', subdomain: 'shop' });
    expect(r.status).toBe(303);
    const made = (await env.core.projects.list()).find((p) => p.subdomain === 'shop')!;
    expect(r.headers.get('location')).toBe(`/dashboard/p/${made.id}?created=1`);
    const taken = await post('/dashboard/projects', { name: 'Shop again', subdomain: 'shop' });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('is taken');
    expect((await get('/dashboard/p/prj_nope')).status).toBe(404);
    expect((await get('/dashboard/p/prj_nope/pages')).status).toBe(404);
    expect((await post('/dashboard/p/prj_nope/tokens', { scope: 'write' })).status).toBe(404);
  });

  it('API tokens: created and shown once, revoked with CSRF; another project cannot revoke them', async () => {
    const r = await post(`/dashboard/p/${pid}/tokens`, { scope: 'read' });
    expect(r.status).toBe(200);
    const html = await r.text();
    const token = /(spp_[A-Za-z0-9_-]+)/.exec(html)![1]!;
    const actor = await env.core.projects.authenticate(token);
    expect(actor).toMatchObject({ projectId: pid, scope: 'read' });
    const overview = await (await get(`/dashboard/p/${pid}`)).text();
    expect(overview).not.toContain(token);
    const [t] = await env.core.projects.listTokens(pid);
    expect(overview).toContain(t!.token_prefix);
    expect((await post(`/dashboard/p/${other.id}/tokens/revoke`, { token_id: t!.token_id })).status).toBe(404);
    expect((await post(`/dashboard/p/${pid}/tokens/revoke`, { token_id: t!.token_id }, false)).status).toBe(403);
    await env.core.projects.authenticate(token);
    const ok = await post(`/dashboard/p/${pid}/tokens/revoke`, { token_id: t!.token_id });
    expect(ok.status).toBe(303);
    await expect(env.core.projects.authenticate(token)).rejects.toThrow(/revoked/);
  });

  it('connected apps: the OAuth grants of the project with client, scopes and last use; disconnecting ends their tokens', async () => {
    const owner = (await env.core.owners.findByEmail('owner@example.com'))!;
    const grant = (id: string, projectId: string, name: string | null) => ({
      id, owner_id: owner.id, client_id: `https://client.example/${id}.json`, client_name: name, project_id: projectId,
      scope: 'sitepub:read sitepub:write', resource: 'http://127.0.0.1:8787/mcp', created_at: '2026-02-27T10:00:00.000Z', last_used_at: '2026-02-28T09:30:00.000Z', revoked_at: null,
    });
    await env.core.db.kysely.insertInto('oauth_grants').values([grant('grt_a', pid, '<b>Chat</b> App'), grant('grt_b', other.id, 'Other app')]).execute();
    await env.core.db.kysely.insertInto('oauth_tokens').values({ token_hash: 'h-a', grant_id: 'grt_a', kind: 'access', created_at: '2026-03-01T11:00:00.000Z', expires_at: '2026-03-01T13:00:00.000Z', used_at: null }).execute();
    const html = await (await get(`/dashboard/p/${pid}`)).text();
    expect(html).toContain('&lt;b&gt;Chat&lt;/b&gt; App');
    expect(html).toContain('https://client.example/grt_a.json');
    expect(html).toContain('<code>sitepub:write</code>');
    expect(html).toContain('2026-02-28 09:30 UTC');
    expect(html).not.toContain('Other app');
    // A grant of another project, through this project's path: not found, nothing revoked.
    expect((await post(`/dashboard/p/${pid}/apps/revoke`, { grant_id: 'grt_b' })).status).toBe(404);
    expect((await post(`/dashboard/p/${pid}/apps/revoke`, { grant_id: 'grt_a' }, false)).status).toBe(403);
    expect(await env.core.oauth.grantsOf(pid)).toHaveLength(1);
    const r = await post(`/dashboard/p/${pid}/apps/revoke`, { grant_id: 'grt_a' });
    expect(r.status).toBe(303);
    expect(await env.core.oauth.grantsOf(pid)).toHaveLength(0);
    expect(await env.core.oauth.grantsOf(other.id)).toHaveLength(1);
    expect(await env.core.db.kysely.selectFrom('oauth_tokens').select('token_hash').where('grant_id', '=', 'grt_a').execute()).toHaveLength(0);
    expect(await (await get(r.headers.get('location')!)).text()).toContain('App disconnected.');
  });

  it('escapes user text everywhere: project names, page titles, slugs, alt text, visitor ids, user agents', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const p = await env.core.projects.create({ name: evil, subdomain: 'evil' });
    await env.core.pages.create(p, { slug: 'x.html', content: `<p>${evil}</p>`, meta: { title: evil } });
    await env.core.assets.upload(p, { slug: 'a.png', content: PNG_1PX.toString('base64'), alt: evil });
    const link = await env.core.downloads.generate(p, { asset_url: '/a.png', visitor_id: evil });
    await env.core.downloads.record(p.id, link.token_id, 'a.png', 'TOKEN_EXPIRED', { ip: '203.0.113.7', userAgent: evil, visitorId: evil });
    const paths = ['/', `/dashboard/p/${p.id}`, `/dashboard/p/${p.id}/pages`, `/dashboard/p/${p.id}/page?slug=x.html`, `/dashboard/p/${p.id}/page/version?slug=x.html&v=1`, `/dashboard/p/${p.id}/assets`, `/dashboard/p/${p.id}/downloads`, `/dashboard/p/${p.id}/stats`, `/dashboard/p/${p.id}/asset/delete?slug=a.png`];
    for (const path of paths) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      const html = await r.text();
      expect(html, path).not.toContain('<script>alert');
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });

  it('pages: search by path and title; LIKE wildcards are literal', async () => {
    const p = env.project;
    await env.core.pages.create(p, { slug: 'index.html', content: '<h1>Home</h1>', meta: { title: 'Welcome home' } });
    await env.core.pages.create(p, { slug: 'about.html', content: '<h1>About</h1>', meta: { title: 'About us' } });
    await env.core.pages.create(p, { slug: 'blog/sale.html', content: '<p>x</p>', meta: { title: 'Save 100%_now' } });
    const all = await (await get(`/dashboard/p/${pid}/pages`)).text();
    expect(all).toContain('3 pages');
    const home = await (await get(`/dashboard/p/${pid}/pages?q=WELCOME`)).text();
    expect(home).toContain('1 page matching');
    expect(home).toContain('index.html');
    expect(home).not.toContain('about.html');
    expect(await (await get(`/dashboard/p/${pid}/pages?q=${encodeURIComponent('0%_N')}`)).text()).toContain('blog/sale.html');
    expect(await (await get(`/dashboard/p/${pid}/pages?q=${encodeURIComponent('t_us')}`)).text()).toContain('0 pages');
  });

  it('a page: live preview sandboxed on the site origin, history with who/size/time, old versions, diff, one-click rollback as the tool', async () => {
    const p = env.project;
    await env.core.pages.create(p, { slug: 'story.html', content: '<h1>About</h1>', meta: { title: 'About us' } });
    await env.core.pages.update(p, { slug: 'story.html', content: '<h1>About</h1>\n<p>We bake bread.</p>\n' });
    const cur = await env.core.pages.get(p, 'story.html', true);
    await env.core.pages.patch(p, { slug: 'story.html', base_version_hash: cur.version_hash!, patches: [{ operation: 'replace', find: 'bread', replace: 'cakes' }], patch_summary: 'bread to cakes' });

    const r = await get(`/dashboard/p/${pid}/page?slug=story.html`);
    const html = await r.text();
    const frame = /<iframe[^>]*class="preview"[^>]*>/.exec(html)![0];
    expect(frame).toContain(`src="${p.url}/story.html"`);
    expect(frame).toContain('sandbox="allow-scripts"');
    expect(frame).not.toContain('allow-same-origin');
    expect(html).toContain('edited (patch)');
    expect(html).toContain('bread to cakes');
    expect(html).toContain('replaced (update)');
    expect(html).toMatch(/v3<\/a> <span class="status status-active">live/);

    // An old version: its source escaped, its preview a sandboxed frame of a sandbox-CSP route.
    const v2 = await (await get(`/dashboard/p/${pid}/page/version?slug=story.html&v=2`)).text();
    expect(v2).toContain('&lt;p&gt;We bake bread.&lt;/p&gt;');
    const v2frame = /<iframe[^>]*class="preview"[^>]*>/.exec(v2)![0];
    expect(v2frame).toContain('sandbox=""');
    const render = await get(`/dashboard/p/${pid}/page/render?slug=story.html&v=2`);
    expect(render.status).toBe(200);
    const csp = render.headers.get('content-security-policy')!;
    expect(csp.split(';')[0]).toBe('sandbox');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('script-src');
    expect(render.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await render.text()).toBe(`<base href="${p.url}/story.html"><h1>About</h1>\n<p>We bake bread.</p>\n`);

    // A colored line diff of any two versions.
    const diff = await (await get(`/dashboard/p/${pid}/page/diff?slug=story.html&from=2&to=3`)).text();
    expect(diff).toContain('<strong>1</strong> line added, <strong>1</strong> removed');
    expect(diff).toMatch(/<tr class="del">.*We bake bread\./);
    expect(diff).toMatch(/<tr class="add">.*We bake cakes\./);
    expect((await get(`/dashboard/p/${pid}/page/diff?slug=story.html&from=1&to=9`)).status).toBe(404);

    // Rollback: refused without the CSRF token; with it, a new version exactly as pages_rollback makes.
    expect((await post(`/dashboard/p/${pid}/page/rollback`, { slug: 'story.html', version: '2' }, false)).status).toBe(403);
    expect((await env.core.pages.versions(p, 'story.html')).current_version).toBe(3);
    const rb = await post(`/dashboard/p/${pid}/page/rollback`, { slug: 'story.html', version: '2' });
    expect(rb.status).toBe(303);
    expect(rb.headers.get('location')).toBe(`/dashboard/p/${pid}/page?slug=story.html&done=rollback&to=2&new=4`);
    const after = await env.core.pages.versions(p, 'story.html');
    expect(after.versions[0]).toMatchObject({ version: 4, created_by: 'rollback', patch_summary: 'rollback to version 2' });
    expect((await env.core.pages.get(p, 'story.html')).content).toBe('<h1>About</h1>\n<p>We bake bread.</p>\n');
    expect(await (await get(rb.headers.get('location')!)).text()).toContain('version 2 is live again, as the new version 4');
    // A page of this project through another project's path is not found.
    expect((await get(`/dashboard/p/${other.id}/page?slug=story.html`)).status).toBe(404);
    expect((await post(`/dashboard/p/${other.id}/page/rollback`, { slug: 'story.html', version: '1' })).status).toBe(404);
  });

  it('assets: upload from a browser form (multipart) with the tool checks, thumbnails as sandboxed user content, delete with a warning', async () => {
    const up = (file: Blob, name: string, fields: Record<string, string>, withCsrf = true) => {
      const fd = new FormData();
      if (withCsrf) fd.set('csrf', csrf);
      for (const [k, v] of Object.entries(fields)) fd.set(k, v);
      fd.set('file', file, name);
      return req(`/dashboard/p/${pid}/assets`, { method: 'POST', headers: { cookie }, body: fd });
    };
    expect((await up(new Blob([PNG_1PX]), 'logo.png', { visibility: 'public' }, false)).status).toBe(403);
    const r = await up(new Blob([PNG_1PX]), 'My Logo.png', { visibility: 'public', path: 'images/logo.png', alt: 'Logo' });
    expect(r.status).toBe(303);
    expect(await env.core.assets.getInfo(env.project, 'images/logo.png')).toMatchObject({ private: false, alt: 'Logo', content_type: 'image/png' });
    const pdf = await up(new Blob([PDF_MIN]), 'Recipe Book.pdf', { visibility: 'private' });
    expect(pdf.status).toBe(303);
    expect(await env.core.assets.getInfo(env.project, 'Recipe-Book.pdf')).toMatchObject({ private: true, size_bytes: PDF_MIN.length });
    // The same checks as assets_upload: bytes must match the extension.
    const fake = await up(new Blob(['not a png']), 'fake.png', { visibility: 'public' });
    expect(fake.status).toBe(415);
    expect(await fake.text()).toContain('Files are checked by content');
    expect((await up(new Blob([PNG_1PX]), 'x.png', {})).status).toBe(422);
    // Past the type's limit, the stream is refused as it arrives and nothing is stored.
    const big = await up(new Blob([PNG_1PX, Buffer.alloc(5 * 1024 * 1024 + 100 * 1024)]), 'big.png', { visibility: 'public' });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('may be larger');
    await expect(env.core.assets.getInfo(env.project, 'big.png')).rejects.toThrow(/not found/);
    const svg = await up(new Blob(['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>']), 'evil.svg', { visibility: 'public' });
    expect(svg.status).toBe(303);

    const list = await (await get(`/dashboard/p/${pid}/assets`)).text();
    expect(list).toContain(`<img class="thumb" src="/dashboard/p/${pid}/asset/file?slug=images%2Flogo.png"`);
    expect(list).toContain('private');
    const thumb = await get(`/dashboard/p/${pid}/asset/file?slug=evil.svg`);
    expect(thumb.headers.get('content-type')).toBe('image/svg+xml');
    expect(thumb.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(thumb.headers.get('x-frame-options')).toBe('DENY');
    const pdfFile = await get(`/dashboard/p/${pid}/asset/file?slug=Recipe-Book.pdf`);
    expect(pdfFile.headers.get('content-disposition')).toMatch(/^attachment/);

    // Delete: the confirmation page warns about active links; the POST needs the token.
    await env.core.downloads.generate(env.project, { asset_url: '/Recipe-Book.pdf', visitor_id: 'buyer-1' });
    const confirm = await (await get(`/dashboard/p/${pid}/asset/delete?slug=Recipe-Book.pdf`)).text();
    expect(confirm).toContain('1 active download link points at this file');
    expect(confirm).toContain('buyer-1');
    expect((await post(`/dashboard/p/${pid}/asset/delete`, { slug: 'Recipe-Book.pdf' }, false)).status).toBe(403);
    const del = await post(`/dashboard/p/${pid}/asset/delete`, { slug: 'Recipe-Book.pdf' });
    expect(del.status).toBe(303);
    await expect(env.core.assets.getInfo(env.project, 'Recipe-Book.pdf')).rejects.toThrow(/not found/);
  });

  it('assets: a file for sale larger than any base64 form streams straight to storage; fields must come before the file', async () => {
    const send = (parts: Array<[string, string | Blob, string?]>, headers: Record<string, string> = {}) => {
      const fd = new FormData();
      for (const [k, v, name] of parts) if (typeof v === 'string') fd.append(k, v);
      else fd.append(k, v, name);
      return req(`/dashboard/p/${pid}/assets`, { method: 'POST', headers: { cookie, ...headers }, body: fd });
    };
    // An MP4 of 12 MB: more than the 5 MB any form body held before, less than the private limit.
    const video = Buffer.alloc(12 * 1024 * 1024);
    Buffer.from('\0\0\0\x20ftypisom\0\0\0\0isomiso2', 'latin1').copy(video);
    for (let i = 64; i < video.length; i += 4096) video.writeUInt32BE(i, i);
    const r = await send([['csrf', csrf], ['path', 'course/lesson-1.mp4'], ['visibility', 'private'], ['file', new Blob([video]), 'Lesson 1.mp4']]);
    expect(r.status).toBe(303);
    const info = await env.core.assets.getInfo(env.project, 'course/lesson-1.mp4');
    expect(info).toMatchObject({ private: true, size_bytes: video.length, content_type: 'video/mp4' });
    const chunks: Buffer[] = [];
    const stored = await env.core.assets.content(env.project.id, 'course/lesson-1.mp4');
    for await (const piece of env.core.assets.read(stored!.row, 0, video.length - 1)) chunks.push(Buffer.from(piece as Uint8Array));
    expect(Buffer.concat(chunks).equals(video)).toBe(true);

    // A sellable type is private only: public, refused, nothing stored.
    const pub = await send([['csrf', csrf], ['visibility', 'public'], ['file', new Blob([video.subarray(0, 4096)]), 'clip.mp4']]);
    expect(pub.status).toBe(415);
    // The file before the fields (not what the form sends): the CSRF token is not there yet, refused.
    const early = await send([['file', new Blob([PNG_1PX]), 'early.png'], ['csrf', csrf], ['visibility', 'public']]);
    expect(early.status).toBe(403);
    // No file part at all, an empty file, a body that is not multipart: each a clear 422, nothing stored.
    expect((await send([['csrf', csrf], ['visibility', 'public']])).status).toBe(422);
    const empty = await send([['csrf', csrf], ['visibility', 'public'], ['file', new Blob([]), 'empty.png']]);
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain('must not be empty');
    const notForm = await req(`/dashboard/p/${pid}/assets`, { method: 'POST', headers: { cookie, ...FORM }, body: `csrf=${encodeURIComponent(csrf)}&visibility=public` });
    expect(notForm.status).toBe(422);
    const cut = await req(`/dashboard/p/${pid}/assets`, { method: 'POST', headers: { cookie, 'content-type': 'multipart/form-data; boundary=xyz' }, body: `--xyz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n--xyz\r\nContent-Disposition: form-data; name="visibility"\r\n\r\npublic\r\n--xyz\r\nContent-Disposition: form-data; name="file"; filename="cut.png"\r\n\r\n\x89PNG` });
    expect(cut.status).toBe(422);
    for (const slug of ['clip.mp4', 'early.png', 'empty.png', 'cut.png']) await expect(env.core.assets.getInfo(env.project, slug)).rejects.toThrow(/not found/);
  });

  it('assets: the streamed form survives broken and hostile bodies (no crash, no hang, nothing half-stored)', async () => {
    const multipart = (body: string) => req(`/dashboard/p/${pid}/assets`, { method: 'POST', headers: { cookie, 'content-type': 'multipart/form-data; boundary=XB' }, body });
    const part = (name: string, value: string, file?: string) => `--XB\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ''}\r\n\r\n${value}\r\n`;
    // A file part under another name, cut off: its stream fails with nobody reading it (this crashed the process).
    expect((await multipart(`--XB\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\n\r\nhello`)).status).toBe(422);
    // A field after the file is not the form's: ignored, even an oversized one; the file is stored.
    const late = await multipart(`${part('csrf', csrf)}${part('visibility', 'public')}${part('file', 'late file', 'late.txt')}${part('alt', 'x'.repeat(5000))}--XB--\r\n`);
    expect(late.status).toBe(303);
    expect(await env.core.assets.getInfo(env.project, 'late.txt')).toMatchObject({ size_bytes: 9, alt: null });
    // The tool's own limits on the fields: alt text over 1,000 characters is refused, nothing stored.
    const longAlt = await multipart(`${part('csrf', csrf)}${part('visibility', 'public')}${part('alt', 'a'.repeat(1001))}${part('file', 'x', 'alt.txt')}--XB--\r\n`);
    expect(longAlt.status).toBe(422);
    expect(await longAlt.text()).toContain('alt');
    await expect(env.core.assets.getInfo(env.project, 'alt.txt')).rejects.toThrow(/not found/);

    // A browser that goes away in the middle of a file: the upload ends, its staged chunks go.
    const server = await listenOnLoopback(env.core);
    try {
      const head = `${part('csrf', csrf)}${part('visibility', 'private')}--XB\r\nContent-Disposition: form-data; name="file"; filename="gone.mp4"\r\n\r\n`;
      const socket = netConnect(server.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(`POST /dashboard/p/${pid}/assets HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nCookie: ${cookie}\r\nContent-Type: multipart/form-data; boundary=XB\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n${head}`);
      const video = Buffer.alloc(3 * 1024 * 1024);
      Buffer.from('\0\0\0\x20ftypisom\0\0\0\0isomiso2', 'latin1').copy(video);
      await new Promise<void>((resolve) => socket.write(video, () => resolve()));
      const staged = async () => Number((await env.core.db.kysely.selectFrom('blob_staging').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      // The upload is under way (its chunks staged) when the connection drops.
      for (let i = 0; i < 100 && (await staged()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await staged()).toBe(1);
      socket.destroy();
      for (let i = 0; i < 100 && (await staged()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await staged()).toBe(0);
      await expect(env.core.assets.getInfo(env.project, 'gone.mp4')).rejects.toThrow(/not found/);
    } finally {
      await server.close();
    }
  });

  it('custom domains on the overview: add shows the TXT record, Check DNS verifies it, remove; the tool checks and errors', async () => {
    const overview = async () => (await get(`/dashboard/p/${pid}`)).text();
    expect(await overview()).toContain('The site answers only at its own address');
    const added = await post(`/dashboard/p/${pid}/domains`, { domain: 'WWW.Bakery-Example.com' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe(`/dashboard/p/${pid}?done=domain-added&domain=www.bakery-example.com#domains`);
    const info = (await env.core.domains.list(env.project)).domains[0]!;
    expect(info).toMatchObject({ domain: 'www.bakery-example.com', status: 'pending' });
    let page = await (await get(added.headers.get('location')!)).text();
    expect(page).toContain('create the TXT record shown below');
    expect(page).toContain(info.txt_name);
    expect(page).toContain(info.txt_value);
    expect(page).toContain('status-pending');

    // Checked before the record exists: still pending, and the page says so.
    const early = await post(`/dashboard/p/${pid}/domains/verify`, { domain: info.domain });
    expect(early.headers.get('location')).toContain('done=domain-pending');
    dns.set(info.txt_name, [[info.txt_value]]);
    const verified = await post(`/dashboard/p/${pid}/domains/verify`, { domain: info.domain });
    expect(verified.headers.get('location')).toContain('done=domain-verified');
    page = await (await get(verified.headers.get('location')!)).text();
    expect(page).toContain('is verified and serves this site');
    expect(page).toContain('status-verified');
    expect(page).toContain(`<a href="https://www.bakery-example.com/"><code>www.bakery-example.com</code></a>`);

    // The tool's own refusals, as pages; no token, no change; another project's domain is not found here.
    const bad = await post(`/dashboard/p/${pid}/domains`, { domain: 'https://x.example.com/path' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('not a bare domain name');
    expect((await post(`/dashboard/p/${pid}/domains`, { domain: 'shop.example.com' }, false)).status).toBe(403);
    await env.core.domains.add(other, 'other-bakery.example.com');
    expect((await post(`/dashboard/p/${pid}/domains/remove`, { domain: 'other-bakery.example.com' })).status).toBe(404);
    expect((await env.core.domains.list(other)).domains).toHaveLength(1);

    // The notice comes from the data, not from the link: a crafted query claims nothing.
    const spoof = await (await get(`/dashboard/p/${pid}?done=domain-verified&domain=evil.example.com`)).text();
    expect(spoof).not.toContain('evil.example.com');
    const removed = await post(`/dashboard/p/${pid}/domains/remove`, { domain: info.domain });
    expect(removed.headers.get('location')).toContain('done=domain-removed');
    expect((await env.core.domains.list(env.project)).domains).toHaveLength(0);
  });

  it('download links: create (shown once) with the tool checks, status filters, revoke, statistics with refusals', async () => {
    await env.core.assets.upload(env.project, { slug: 'files/book.pdf', content: PDF_MIN.toString('base64'), private: true });
    expect((await post(`/dashboard/p/${pid}/downloads`, { asset_url: '/files/book.pdf' }, false)).status).toBe(403);
    const bad = await post(`/dashboard/p/${pid}/downloads`, { asset_url: '/files/book.pdf', expiration_redirect_url: 'javascript:alert(1)' });
    expect(bad.status).toBe(422);
    const r = await post(`/dashboard/p/${pid}/downloads`, { asset_url: '/files/book.pdf', max_uses: '2', expires_in_hours: '48', visitor_id: '', filename: 'Book.pdf', require_confirmation: 'on' });
    expect(r.status).toBe(200);
    const html = await r.text();
    const url = /(http:\/\/127\.0\.0\.1:8787\/d\/spd_[A-Za-z0-9_-]+)/.exec(html)![1]!;
    const listed = await env.core.downloads.list(env.project, { asset_url: '/files/book.pdf' });
    expect(listed.downloads[0]).toMatchObject({ max_uses: 2, filename: 'Book.pdf', status: 'active', expires_at: '2026-03-03T12:00:00.000Z' });
    const tokenId = listed.downloads[0]!.token_id;
    expect(await (await get(`/dashboard/p/${pid}/downloads`)).text()).not.toContain(url);

    // A download and a refusal, seen in the statistics.
    const confirmPage = await req(new URL(url).pathname, { headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'BuyerBrowser/1.0' } });
    expect(confirmPage.status).toBe(200);
    const dl = await req(new URL(url).pathname, { method: 'POST', headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'BuyerBrowser/1.0', ...FORM }, body: new URLSearchParams({ confirm: '1' }) });
    expect(dl.status).toBe(200);

    expect(await (await get(`/dashboard/p/${pid}/downloads?status=active`)).text()).toContain(tokenId);
    expect(await (await get(`/dashboard/p/${pid}/downloads?status=revoked`)).text()).not.toContain(tokenId);
    expect((await post(`/dashboard/p/${other.id}/downloads/revoke`, { token_id: tokenId })).status).toBe(404);
    expect((await post(`/dashboard/p/${pid}/downloads/revoke`, { token_id: tokenId }, false)).status).toBe(403);
    expect((await post(`/dashboard/p/${pid}/downloads/revoke`, { token_id: tokenId })).status).toBe(303);
    expect(await (await get(`/dashboard/p/${pid}/downloads?status=revoked`)).text()).toContain(tokenId);
    const refused = await req(new URL(url).pathname, { headers: { 'x-forwarded-for': '2001:db8:1:2::99', 'user-agent': 'BuyerBrowser/2.0' } });
    expect(refused.status).toBe(403);

    const stats = await (await get(`/dashboard/p/${pid}/stats?days=7`)).text();
    expect(stats).toMatch(/<svg class="chart"[^>]*role="img"/);
    expect(stats).toContain('data-date="2026-03-01" data-downloads="1"');
    expect(stats).toMatch(/<th scope="row">2026-03-01<\/th><td class="num">1<\/td>/);
    expect(stats).toMatch(/<code>\/files\/book\.pdf<\/code><\/td><td class="num">1<\/td>/);
    expect(stats).toContain('TOKEN_REVOKED');
    expect(stats).toContain('2001:db8:1::/48');
    expect(stats).toContain('198.51.100.0/24');
    expect(stats).not.toContain('198.51.100.23');
    expect(stats).toContain('BuyerBrowser/2.0');
    const refusals = await (await get(`/dashboard/p/${pid}/stats?outcome=refused`)).text();
    expect(refusals).toContain('TOKEN_REVOKED');
    expect(refusals).not.toContain('BuyerBrowser/1.0');
  });

  it('rejects a sign-in session of nobody, and never redirects off the platform', async () => {
    expect((await req(`/dashboard/p/${pid}`, { headers: { cookie: 'sitepub_session=sps_forged' } })).status).toBe(302);
    const r = await req('/dashboard/p/x//evil.example/pages');
    expect(r.headers.get('location')?.startsWith('/login')).toBe(true);
    expect(r.headers.get('location')).not.toMatch(/^\/\//);
  });
});
