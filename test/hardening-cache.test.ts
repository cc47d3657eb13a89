import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { cacheKeyOf, SiteCache } from '../src/http/sites.js';
import { silentLogger } from '../src/log.js';
import { b64, makeEnv, PNG_1PX, type TestEnv } from './helpers.js';

/** One GET over a real socket to the production listener, with the Host of the bakery site. */
function get(port: number, path: string, host = 'bakery.localhost'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('the site cache under a flood of unknown paths', () => {
  let env: TestEnv;
  let server: Server;
  let port: number;
  let cache: SiteCache;

  beforeAll(async () => {
    env = await makeEnv();
    await env.core.pages.create(env.project, { slug: 'index.html', content: '<h1>Home</h1>' });
    await env.core.pages.create(env.project, { slug: 'about.html', content: '<h1>About</h1>' });
    const app = createApp({
      core: env.core,
      logger: silentLogger,
      options: { allowedHosts: new Set(['127.0.0.1', 'localhost']), allowedOrigins: new Set(), trustProxy: false, maxBodyBytes: DEFAULT_MAX_BODY },
    });
    cache = app.cache;
    server = createServer(app.listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await env.close();
  });

  it('holds no entry per unknown path, short or long, and still answers 404 with the site page', async () => {
    await get(port, '/');
    const before = cache.count;
    const long = 'x'.repeat(4000);
    for (let i = 0; i < 2000; i++) {
      const r = await get(port, i % 2 ? `/missing-${i}.html` : `/${long}${i}`);
      expect(r.status).toBe(404);
    }
    // Only the site's one shared "not found" entry was added.
    expect(cache.count).toBeLessThanOrEqual(before + 1);
    expect((await get(port, '/nope')).body).toContain('Page not found');
  });

  it('keys every spelling of one path to one entry', async () => {
    await get(port, '/about.html');
    const n = cache.count;
    for (const spelling of ['/%61bout.html', '//about.html', '/a%62out.html', '///%61%62out.html', '/about.html?x=1']) {
      const r = await get(port, spelling);
      expect(r.status).toBe(200);
      expect(r.body).toBe('<h1>About</h1>');
    }
    expect(cache.count).toBe(n);
    expect(cacheKeyOf('/%61bout.html')).toBe('about.html');
    expect(cacheKeyOf('/%E0%A4%A')).toBeNull();
  });

  it('a write to one site is seen at once, and other paths refill', async () => {
    expect((await get(port, '/about.html')).body).toBe('<h1>About</h1>');
    await env.core.pages.update(env.project, { slug: 'about.html', content: '<h1>About us</h1>' });
    expect((await get(port, '/about.html')).body).toBe('<h1>About us</h1>');
    expect((await get(port, '/%61bout.html')).body).toBe('<h1>About us</h1>');
  });
});

describe('the site cache is bounded by true size', () => {
  it('counts bodies, keys and per-entry overhead, and evicts least used entries instead of clearing', async () => {
    const env = await makeEnv();
    try {
      const max = 256 * 1024;
      const cache = new SiteCache(env.core, false, max, 60_000);
      const body = new Uint8Array(8 * 1024);
      for (let i = 0; i < 500; i++) {
        cache.set(env.project.id, 0, `p${i}-${'k'.repeat(500)}`, { status: 200, body, contentType: 'text/html', etag: '"e"', svg: false });
        expect(cache.size).toBeLessThanOrEqual(max);
      }
      // 500 entries of 8 KiB body + 1 KiB key would be ~4.6 MB: the bound holds, the newest stay.
      expect(cache.count).toBeLessThan(500);
      expect(cache.count).toBeGreaterThan(10);
      expect(cache.get(env.project.id, 0, `p499-${'k'.repeat(500)}`)).toBeDefined();
      expect(cache.get(env.project.id, 0, `p0-${'k'.repeat(500)}`)).toBeUndefined();
      cache.close();
    } finally {
      await env.close();
    }
  });

  it('keeps entries of other sites when one site changes', async () => {
    const env = await makeEnv();
    try {
      const other = await env.core.projects.create({ name: 'Other', subdomain: 'other' });
      const cache = new SiteCache(env.core, false, 1024 * 1024, 60_000);
      const e = () => ({ status: 200 as const, body: new Uint8Array(10), contentType: 'text/html', etag: '"e"', svg: false });
      cache.set(env.project.id, 0, 'a.html', e());
      cache.set(other.id, 0, 'b.html', e());
      await env.core.assets.upload(env.project, { slug: 'logo.png', content: b64(PNG_1PX) });
      // The bakery moved to generation 1: its entry is no longer served; the other site's is.
      expect(cache.generation(env.project.id)).toBe(1);
      expect(cache.get(env.project.id, 1, 'a.html')).toBeUndefined();
      expect(cache.generation(other.id)).toBe(0);
      expect(cache.get(other.id, 0, 'b.html')).toBeDefined();
      cache.close();
    } finally {
      await env.close();
    }
  });
});

describe('processes sharing one SQLite data folder invalidate per site', () => {
  it("a write to one site, signalled by another process, leaves every other site's entries cached", async () => {
    const { twoInstances } = await import('./instances.js');
    const { a, b, cleanup } = await twoInstances('sqlite-file');
    try {
      const x = await a.projects.create({ name: 'X', subdomain: 'x-site' });
      const y = await a.projects.create({ name: 'Y', subdomain: 'y-site' });
      await a.pages.create(x, { slug: 'index.html', content: 'x1' });
      await a.pages.create(y, { slug: 'index.html', content: 'y1' });
      const app = createApp({ core: b, logger: silentLogger, options: { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set(), trustProxy: false, maxBodyBytes: DEFAULT_MAX_BODY } });
      const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
      const site = async (sub: string): Promise<string> => {
        await nextTurn();
        return (await app.app.request(`http://${sub}.localhost/`, { headers: { host: `${sub}.localhost` } })).text();
      };
      try {
        expect(await site('x-site')).toBe('x1');
        expect(await site('y-site')).toBe('y1');
        await a.pages.update(x, { slug: 'index.html', content: 'x2' });
        expect(await site('x-site')).toBe('x2');
        // Y's entry is still the one filled before the write to X: no refill was needed.
        const g = app.cache.generation(y.id);
        expect(app.cache.get(y.id, typeof g === 'number' ? g : await g, '')).toBeDefined();
        expect(await site('y-site')).toBe('y1');
      } finally {
        app.cache.close();
      }
    } finally {
      await cleanup();
    }
  });
});
