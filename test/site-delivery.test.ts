import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { negotiate } from '../src/http/site-encoding.js';
import { silentLogger } from '../src/log.js';
import { b64, makeApp, makeEnv, PNG_1PX, type TestEnv } from './helpers.js';
import { DIALECTS } from './dialects.js';

const SITE = 'bakery.localhost:8787';
const WOFF2 = Buffer.concat([Buffer.from('wOF2'), Buffer.from([0x00, 0x01, 0x00, 0x00]), Buffer.alloc(40)]);
const CSS = `body { color: #333; }\n${'.product { margin: 0 auto; padding: 1rem; border: 1px solid #eee; }\n'.repeat(60)}`;
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Old title</title></head><body>${'<p>Fresh bread every morning, baked at dawn.</p>\n'.repeat(60)}</body></html>`;

describe('Accept-Encoding negotiation', () => {
  it('prefers brotli, then gzip, honours q=0 and *', () => {
    expect(negotiate('gzip, deflate, br, zstd')).toBe('br');
    expect(negotiate('gzip')).toBe('gzip');
    expect(negotiate('br;q=0, gzip')).toBe('gzip');
    expect(negotiate('gzip;q=0.5, br;q=0.8')).toBe('br');
    expect(negotiate('gzip;q=1, br;q=0.5')).toBe('gzip');
    expect(negotiate('identity')).toBeNull();
    expect(negotiate('*;q=0')).toBeNull();
    expect(negotiate('*')).toBe('br');
    expect(negotiate(undefined)).toBeNull();
  });
});

for (const dialect of DIALECTS) {
  describe(`site delivery (${dialect})`, () => {
    let env: TestEnv;
    let req: ReturnType<typeof makeApp>;
    let cssSha = '';
    beforeAll(async () => {
      env = await makeEnv({ dialect });
      req = makeApp(env);
      const p = env.project;
      await env.core.pages.create(p, { slug: 'index.html', content: PAGE, meta: { title: 'Bakery & Co', language: 'nl' }, seo: { description: 'Fresh "bread"', canonical: '/', og_image: '/img/cover.png' } });
      await env.core.pages.create(p, { slug: 'private.html', content: '<!doctype html><title>p</title><p>hidden</p>', seo: { robots: 'noindex, nofollow' } });
      await env.core.pages.create(p, { slug: 'blog/index.html', content: '<!doctype html><title>Blog</title><p>posts</p>' });
      cssSha = (await env.core.assets.upload(p, { slug: 'css/site.css', content_text: CSS })).sha256;
      await env.core.assets.upload(p, { slug: 'img/cover.png', content: b64(PNG_1PX) });
      await env.core.assets.upload(p, { slug: 'fonts/body.woff2', content: b64(WOFF2) });
    });
    afterAll(() => env.close());

    it('compresses text once per entry, by Accept-Encoding, with Vary and an ETag per representation', async () => {
      const plain = await req('/', { host: SITE });
      const br = await req('/', { host: SITE, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      const gz = await req('/', { host: SITE, headers: { 'accept-encoding': 'gzip' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(br.headers.get('content-encoding')).toBe('br');
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      for (const r of [plain, br, gz]) expect(r.headers.get('vary')).toBe('Accept-Encoding');
      const tags = new Set([plain, br, gz].map((r) => r.headers.get('etag')));
      expect(tags.size).toBe(3);
      const text = await plain.text();
      expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()).toBe(text);
      expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(text);
      expect(Number(br.headers.get('content-length'))).toBeLessThan(text.length / 3);
      // The second request reuses the variant made by the first: the same bytes, the same ETag.
      const again = await req('/', { host: SITE, headers: { 'accept-encoding': 'br' } });
      expect(again.headers.get('etag')).toBe(br.headers.get('etag'));
      // Revalidation per representation.
      const nm = await req('/', { host: SITE, headers: { 'accept-encoding': 'br', 'if-none-match': br.headers.get('etag')! } });
      expect(nm.status).toBe(304);
      expect(nm.headers.get('vary')).toBe('Accept-Encoding');
    });

    it('lets any origin load the site fonts (CORS), and nothing else', async () => {
      const font = await req('/fonts/body.woff2', { host: SITE, headers: { origin: 'null' } });
      expect(font.status).toBe(200);
      expect(font.headers.get('content-type')).toBe('font/woff2');
      expect(font.headers.get('access-control-allow-origin')).toBe('*');
      for (const path of ['/', '/css/site.css', '/img/cover.png']) {
        const other = await req(path, { host: SITE, headers: { origin: 'null' } });
        expect(other.status).toBe(200);
        expect(other.headers.get('access-control-allow-origin')).toBeNull();
      }
    });

    it('does not compress images or small bodies', async () => {
      const png = await req('/img/cover.png', { host: SITE, headers: { 'accept-encoding': 'br, gzip' } });
      expect(png.headers.get('content-encoding')).toBeNull();
      expect(png.headers.get('vary')).toBeNull();
      const small = await req('/blog/', { host: SITE, headers: { 'accept-encoding': 'br, gzip' } });
      expect(small.status).toBe(200);
      expect(small.headers.get('content-encoding')).toBeNull();
    });

    it('caches pages with revalidation and hashed asset URLs for a year', async () => {
      const page = await req('/', { host: SITE });
      expect(page.headers.get('cache-control')).toBe('public, no-cache');
      const css = await req('/css/site.css', { host: SITE });
      expect(css.headers.get('cache-control')).toBe('public, no-cache');
      const versioned = await req(`/css/site.css?v=${cssSha.slice(0, 12)}`, { host: SITE, headers: { 'accept-encoding': 'gzip' } });
      expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(versioned.headers.get('content-encoding')).toBe('gzip');
      // A stale ?v= (the file changed since) is not promised forever.
      const stale = await req('/css/site.css?v=000000000000', { host: SITE });
      expect(stale.headers.get('cache-control')).toBe('public, no-cache');
      // A file name carrying its own hash.
      await env.core.assets.upload(env.project, { slug: `css/app.${cssSha.slice(0, 10)}.css`, content_text: CSS });
      const hashed = await req(`/css/app.${cssSha.slice(0, 10)}.css`, { host: SITE });
      expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    });

    it('writes the head from meta and seo, leaving the stored content as written', async () => {
      const html = await (await req('/', { host: SITE })).text();
      expect(html).toContain('<html lang="nl">');
      expect(html).toContain('<title>Bakery &amp; Co</title>');
      expect(html).not.toContain('Old title');
      expect(html).toContain('<meta name="description" content="Fresh &quot;bread&quot;">');
      expect(html).toContain('<link rel="canonical" href="http://bakery.localhost:8787/">');
      expect(html).toContain('<meta property="og:image" content="http://bakery.localhost:8787/img/cover.png">');
      expect(html).toContain('<meta property="og:title" content="Bakery &amp; Co">');
      expect(html.indexOf('<meta charset="utf-8">')).toBeLessThan(html.indexOf('<meta name="description"'));
      expect(html).toContain('<p>Fresh bread every morning, baked at dawn.</p>');
      const stored = await env.core.pages.get(env.project, 'index.html');
      expect(stored.content).toBe(PAGE);
      const hidden = await req('/private.html', { host: SITE });
      expect(hidden.headers.get('x-robots-tag')).toBe('noindex');
      expect(await hidden.text()).toContain('<meta name="robots" content="noindex, nofollow">');
      expect((await req('/', { host: SITE })).headers.get('x-robots-tag')).toBeNull();
    });

    it('generates sitemap.xml without noindex pages and robots.txt pointing at it, until the owner uploads their own', async () => {
      const sm = await req('/sitemap.xml', { host: SITE });
      expect(sm.status).toBe(200);
      expect(sm.headers.get('content-type')).toContain('xml');
      const xml = await sm.text();
      expect(xml).toContain('<loc>http://bakery.localhost:8787/</loc>');
      expect(xml).toContain('<loc>http://bakery.localhost:8787/blog/</loc>');
      expect(xml).not.toContain('private.html');
      const robots = await (await req('/robots.txt', { host: SITE })).text();
      expect(robots).toContain('Sitemap: http://bakery.localhost:8787/sitemap.xml');
      // A new page shows at once (the cache follows writes), then the owner's own robots.txt wins.
      await env.core.pages.create(env.project, { slug: 'about.html', content: '<!doctype html><title>About</title>' });
      expect(await (await req('/sitemap.xml', { host: SITE })).text()).toContain('/about.html');
      await env.core.assets.upload(env.project, { slug: 'robots.txt', content_text: 'User-agent: *\nDisallow: /\n' });
      expect(await (await req('/robots.txt', { host: SITE })).text()).toBe('User-agent: *\nDisallow: /\n');
    });

    it('friendly dead ends: an unknown site, an empty site', async () => {
      const none = await req('/', { host: 'nosuchsite.localhost:8787' });
      expect(none.status).toBe(404);
      expect(none.headers.get('content-type')).toContain('text/html');
      expect(await none.text()).toContain('No site is published at nosuchsite.localhost');
      await env.core.projects.create({ name: 'Empty', subdomain: 'empty' });
      const empty = await req('/', { host: 'empty.localhost:8787' });
      expect(empty.status).toBe(404);
      const body = await empty.text();
      expect(body).toContain('No pages yet');
      expect(body).toContain('index.html');
      expect(empty.headers.get('x-robots-tag')).toBe('noindex');
    });
  });
}

describe('site delivery through the Node listener (the production path)', () => {
  let env: TestEnv;
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    env = await makeEnv();
    await env.core.pages.create(env.project, { slug: 'index.html', content: PAGE });
    const { listener } = createApp({
      core: env.core,
      logger: silentLogger,
      mcp: (() => undefined) as never,
      options: { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set(), trustProxy: false, maxBodyBytes: DEFAULT_MAX_BODY },
    });
    server = createServer(listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await env.close();
  });

  const get = (headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> => getPath('/', headers);
  const getPath = (path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path, agent: false, headers: { host: `bakery.localhost:${port}`, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      r.on('error', reject);
      r.end();
    });

  it('makes one entry for concurrent misses of a path (one resolve, one compression per coding)', async () => {
    const { SiteCache } = await import('../src/http/site-cache.js');
    const cache = new SiteCache(env.core, false);
    let made = 0;
    const make = async () => {
      made++;
      await new Promise((r) => setTimeout(r, 20));
      return { status: 200 as const, body: new Uint8Array(10), contentType: 'text/plain', etag: '"x"', svg: false };
    };
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.fill(env.project.id, 0, 'a.txt', make)));
    expect(made).toBe(1);
    expect(new Set(all).size).toBe(1);
    expect(cache.get(env.project.id, 0, 'a.txt')).toBe(all[0]);
    cache.close();
  });

  it('answers a cold burst of brotli requests with one entry, all of them compressed', async () => {
    await env.core.pages.create(env.project, { slug: 'burst.html', content: PAGE });
    const burst = await Promise.all(Array.from({ length: 40 }, () => getPath('/burst.html', { 'accept-encoding': 'br' })));
    expect(new Set(burst.map((r) => r.headers.etag)).size).toBe(1);
    for (const r of burst) expect(r.headers['content-encoding']).toBe('br');
  });

  it('answers brotli and gzip from the socket, the first request waiting for the one compression', async () => {
    const [a, b] = await Promise.all([get({ 'accept-encoding': 'br' }), get({ 'accept-encoding': 'br' })]);
    expect(a.headers['content-encoding']).toBe('br');
    expect(b.body.equals(a.body)).toBe(true);
    expect(brotliDecompressSync(a.body).toString()).toBe(PAGE);
    const g = await get({ 'accept-encoding': 'gzip' });
    expect(gunzipSync(g.body).toString()).toBe(PAGE);
    const plain = await get({});
    expect(plain.body.toString()).toBe(PAGE);
  });
});
