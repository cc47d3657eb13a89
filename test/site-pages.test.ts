import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_STATUS } from '../tools/project.js';
import { PAGES_DIFF, PAGES_PREVIEW } from '../tools/page-versions.js';
import { PAGES_BULK_CREATE, PAGES_CREATE, PAGES_GET, PAGES_PATCH, PAGES_ROLLBACK, PAGES_UPDATE } from '../tools/pages.js';
import { SITE_CHECK } from '../tools/sites.js';
import { call, connect, makeApp, makeEnv, type TestEnv } from './helpers.js';
import { DIALECTS } from './dialects.js';

const SITE = 'bakery.localhost:8787';
const GOOD = '<!doctype html><html><head><title>Home</title><link rel="stylesheet" href="/css/site.css"></head><body><a href="/about">About</a><img src="/img/logo.png" alt="Logo"></body></html>';

for (const dialect of DIALECTS) {
  describe(`pages that make a real site (${dialect})`, () => {
    let env: TestEnv;
    beforeEach(async () => {
      env = await makeEnv({ dialect });
    });
    afterEach(() => env.close());

    it('a page slug ends in .html; CSS or JS as a page is refused with the tool to use', async () => {
      const client = await connect(env.core);
      const css = await call(client, PAGES_CREATE, { slug: 'style.css', content: 'body{}' });
      expect(css.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'slug' });
      expect(css.error.message).toContain('assets_upload');
      const bare = await call(client, PAGES_CREATE, { slug: 'contact', content: '<p>x</p>' });
      expect(bare.error.message).toContain('"contact.html"');
      const bulk = await call(client, PAGES_BULK_CREATE, { pages: [{ slug: 'a.html', content: 'a' }, { slug: 'app.js', content: 'x' }] });
      expect(bulk.error.type).toBe('VALIDATION_ERROR');
      expect((await env.core.pages.list(env.project)).total).toBe(0);
      expect((await call(client, PAGES_CREATE, { slug: 'blog/index.html', content: '<p>x</p>' })).ok).toBe(true);
    });

    it('project_status says no_home_page until index.html exists', async () => {
      const client = await connect(env.core);
      expect((await call(client, PROJECT_STATUS)).data.status).toBe('empty');
      await env.core.pages.create(env.project, { slug: 'about.html', content: '<p>x</p>' });
      expect((await call(client, PROJECT_STATUS)).data.status).toBe('no_home_page');
      await env.core.pages.create(env.project, { slug: 'index.html', content: '<p>x</p>' });
      expect((await call(client, PROJECT_STATUS)).data.status).toBe('published');
    });

    it('reads an old version without publishing it, diffs two, and rolls back with the field names of patch', async () => {
      const client = await connect(env.core);
      const v1 = await env.core.pages.create(env.project, { slug: 'index.html', content: '<!doctype html><title>A</title>\n<p>one</p>\n', meta: { title: 'One' } });
      await env.core.pages.update(env.project, { slug: 'index.html', content: '<!doctype html><title>A</title>\n<p>two</p>\n', meta: { title: 'Two' } });
      const old = await call(client, PAGES_GET, { slug: 'index.html', version: 1 });
      expect(old.data).toMatchObject({ content: '<!doctype html><title>A</title>\n<p>one</p>\n', meta: { title: 'One' }, version: 1, version_hash: v1.version_hash, current: false });
      expect((await call(client, PAGES_GET, { slug: 'index.html', version_hash: v1.version_hash })).data.version).toBe(1);
      expect((await call(client, PAGES_GET, { slug: 'index.html', version: 9 })).error.type).toBe('NOT_FOUND');
      // Reading changed nothing.
      expect((await env.core.pages.get(env.project, 'index.html', true)).version).toBe(2);

      const diff = await call(client, PAGES_DIFF, { slug: 'index.html', from_version: 1, to_version: v1.version_hash.length ? 2 : 2 });
      expect(diff.data).toMatchObject({ from_version: 1, to_version: 2, meta_changed: true, seo_changed: false });
      expect(diff.data.diff).toContain('-<p>one</p>');
      expect(diff.data.diff).toContain('+<p>two</p>');
      const byHash = await call(client, PAGES_DIFF, { slug: 'index.html', from_version: v1.version_hash, to_version: '2' });
      expect(byHash.data.diff).toBe(diff.data.diff);

      const rb = await call(client, PAGES_ROLLBACK, { slug: 'index.html', target_version: 1 });
      expect(rb.data).toMatchObject({ version: 3, rolled_back_to: 1, new_version: 3 });
      expect(rb.data.version_hash).toBe(rb.data.new_version_hash);
      // version_hash works as the next patch's base, as after patch and update.
      const p = await call(client, PAGES_PATCH, { slug: 'index.html', base_version_hash: rb.data.version_hash, patches: [{ operation: 'replace', find: 'one', replace: 'uno' }] });
      expect(p.data.version).toBe(4);
    });

    it('every page write returns warnings for the page as served; site_check checks them all', async () => {
      const client = await connect(env.core);
      const first = await call(client, PAGES_CREATE, { slug: 'index.html', content: GOOD });
      const types = (first.data.warnings as Array<{ type: string; target?: string }>).map((w) => `${w.type} ${w.target ?? ''}`.trim());
      expect(types.sort()).toEqual(['broken_link /about', 'missing_asset /css/site.css', 'missing_asset /img/logo.png']);
      await env.core.assets.upload(env.project, { slug: 'css/site.css', content_text: 'body{}' });
      await env.core.assets.upload(env.project, { slug: 'img/logo.png', content: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' });
      const about = await call(client, PAGES_CREATE, { slug: 'about.html', content: '<!doctype html><title>About</title><p>We bake.</p>' });
      expect(about.data.warnings).toBeUndefined();
      const upd = await call(client, PAGES_UPDATE, { slug: 'index.html', content: GOOD });
      expect(upd.data.warnings).toBeUndefined();

      const bad = await call(client, PAGES_CREATE, { slug: 'bad.html', content: '<p>Hi <div>block in a paragraph</div></p><img src="/img/logo.png"><span>open' });
      const kinds = (bad.data.warnings as Array<{ type: string; message: string; line?: number }>).map((w) => w.type).sort();
      expect(kinds).toEqual(['head_problem', 'invalid_nesting', 'invalid_nesting', 'missing_alt', 'missing_title']);

      const check = await call(client, SITE_CHECK);
      expect(check.data).toMatchObject({ pages_checked: 3, ok: false, home_page: true, by_type: { invalid_nesting: 2, missing_alt: 1, missing_title: 1, head_problem: 1 } });
      expect((check.data.warnings as Array<{ slug: string }>).every((w) => w.slug === 'bad.html')).toBe(true);
    });

    it('a signed preview link shows any version, noindex and uncached, on the site; tampered or expired links are refused', async () => {
      const client = await connect(env.core);
      await env.core.pages.create(env.project, { slug: 'blog/post.html', content: '<!doctype html><html><head><link rel="stylesheet" href="../css/site.css"></head><body><p>first draft</p></body></html>', meta: { title: 'Draft' } });
      await env.core.pages.update(env.project, { slug: 'blog/post.html', content: '<!doctype html><p>published</p>' });
      const pv = await call(client, PAGES_PREVIEW, { slug: 'blog/post.html', version: 1, expires_in_hours: 1 });
      expect(pv.data).toMatchObject({ version: 1, current: false });
      const url = new URL(pv.data.preview_url as string);
      expect(url.host).toBe(SITE);
      expect(url.pathname).toBe('/_sitepub/preview/blog/post.html');
      const req = makeApp(env);
      const r = await req(`${url.pathname}${url.search}`, { host: SITE });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-robots-tag')).toBe('noindex, nofollow');
      expect(r.headers.get('cache-control')).toBe('private, no-store');
      const html = await r.text();
      expect(html).toContain('first draft');
      expect(html).toContain('<title>Draft</title>');
      expect(html).toContain('<base href="/blog/">');
      expect(html).toContain('<meta name="robots" content="noindex, nofollow">');
      // The live page is untouched.
      expect(await (await req('/blog/post.html', { host: SITE })).text()).toContain('published');

      const tampered = url.search.replace('v=1', 'v=2');
      expect((await req(`${url.pathname}${tampered}`, { host: SITE })).status).toBe(404);
      expect((await req(`/_sitepub/preview/blog/other.html${url.search}`, { host: SITE })).status).toBe(404);
      env.clock.advance(2 * 3600_000);
      const late = await req(`${url.pathname}${url.search}`, { host: SITE });
      expect(late.status).toBe(410);
      expect(await late.text()).toContain('pages_preview');
      expect((await call(client, PAGES_PREVIEW, { slug: 'blog/post.html', expires_in_hours: 500 })).error.type).toBe('VALIDATION_ERROR');
    });
  });
}
