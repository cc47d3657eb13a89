import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUrlConfig } from '../src/core/config.js';
import { Core } from '../src/core/core.js';
import { fileTxt, type TxtResolver } from '../src/core/domains/index.js';
import type { Project } from '../src/core/projects.js';
import { migrate } from '../src/db/connect.js';
import { createApp } from '../src/http/app.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { TLS_ASK_PATH } from '../src/http/site-domains.js';
import { silentLogger } from '../src/log.js';
import { DOMAINS_ADD, DOMAINS_LIST, DOMAINS_REMOVE, DOMAINS_VERIFY } from '../tools/domains.js';
import { DIALECTS, openTestDb } from './dialects.js';
import { call, connect } from './helpers.js';

describe('SITEPUB_DNS_TXT_FILE (tests only)', () => {
  it('answers TXT lookups from a JSON file, read at each lookup', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-dns-'));
    const file = path.join(dir, 'txt.json');
    writeFileSync(file, '{}');
    const txt = fileTxt(file);
    expect(await txt('_sitepub-challenge.example.com')).toEqual([]);
    writeFileSync(file, JSON.stringify({ '_sitepub-challenge.example.com': ['v1', 'v2'] }));
    expect(await txt('_sitepub-challenge.example.com')).toEqual([['v1'], ['v2']]);
    rmSync(dir, { recursive: true });
  });
});

for (const dialect of DIALECTS) {
  describe(`custom domains (${dialect})`, () => {
    const records = new Map<string, string[][]>();
    const resolver: TxtResolver = async (name) => records.get(name) ?? [];
    let core: Core;
    let cleanup: () => Promise<void>;
    let shop: Project;
    let other: Project;
    let req: (p: string, host: string) => Promise<Response>;
    beforeAll(async () => {
      const opened = await openTestDb(dialect);
      cleanup = opened.cleanup;
      await migrate(opened.db);
      core = new Core({ db: opened.db, urls: makeUrlConfig('http://127.0.0.1:8787', 'localhost'), dnsTxt: resolver });
      shop = await core.projects.create({ name: 'Shop', subdomain: 'shop' });
      other = await core.projects.create({ name: 'Other', subdomain: 'other' });
      await core.pages.create(shop, { slug: 'index.html', content: '<!doctype html><title>Shop</title><h1>Welcome to the shop</h1>' });
      const { app } = createApp({
        core,
        logger: silentLogger,
        mcp: (() => undefined) as never,
        options: { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set(), trustProxy: false, maxBodyBytes: DEFAULT_MAX_BODY },
      });
      req = async (p, host) => app.request(`http://${host}${p}`, { headers: { host } });
    });
    afterAll(async () => {
      core.domains.close();
      await cleanup();
    });

    it('adds a pending domain with its TXT record, verifies it through the resolver, then serves the site on that Host', async () => {
      const client = await connect(core, { defaultProjectId: shop.id });
      const added = await call(client, DOMAINS_ADD, { project_id: shop.id, domain: 'WWW.Example.com.' });
      expect(added.ok).toBe(true);
      expect(added.data).toMatchObject({ domain: 'www.example.com', status: 'pending', txt_name: '_sitepub-challenge.www.example.com' });
      const value = added.data.txt_value as string;
      expect(value).toMatch(/^sitepub-verify=/);
      // Not served, no certificate, while pending.
      expect((await req('/', 'www.example.com')).status).toBe(403);
      expect((await req(`${TLS_ASK_PATH}?domain=www.example.com`, '127.0.0.1')).status).toBe(404);

      const early = await call(client, DOMAINS_VERIFY, { project_id: shop.id, domain: 'www.example.com' });
      expect(early.data).toMatchObject({ status: 'pending', found: false });
      expect(early.data.message).toContain(value);

      records.set('_sitepub-challenge.www.example.com', [['sitepub-verify=', value.slice('sitepub-verify='.length)]]);
      const ok = await call(client, DOMAINS_VERIFY, { project_id: shop.id, domain: 'www.example.com' });
      expect(ok.data).toMatchObject({ status: 'verified', found: true });
      const page = await req('/', 'www.example.com');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Welcome to the shop');
      expect((await req(`${TLS_ASK_PATH}?domain=www.example.com`, '127.0.0.1')).status).toBe(200);
      expect((await req(`${TLS_ASK_PATH}?domain=shop.localhost`, '127.0.0.1')).status).toBe(200);
      expect((await req(`${TLS_ASK_PATH}?domain=nobody.localhost`, '127.0.0.1')).status).toBe(404);
      expect((await req(`${TLS_ASK_PATH}?domain=evil.example`, '127.0.0.1')).status).toBe(404);

      const list = await call(client, DOMAINS_LIST, { project_id: shop.id });
      expect(list.data).toMatchObject({ domains: [{ domain: 'www.example.com', status: 'verified' }] });

      // Another site cannot take a verified domain.
      const taken = await call(client, DOMAINS_ADD, { project_id: other.id, domain: 'www.example.com' });
      expect(taken.error).toMatchObject({ type: 'ALREADY_EXISTS' });

      const removed = await call(client, DOMAINS_REMOVE, { project_id: shop.id, domain: 'www.example.com' });
      expect(removed.data).toEqual({ domain: 'www.example.com', removed: true });
      expect((await req('/', 'www.example.com')).status).toBe(403);
      expect((await req(`${TLS_ASK_PATH}?domain=www.example.com`, '127.0.0.1')).status).toBe(404);
    });

    it('refuses what cannot be a custom domain, and names the tools to recover', async () => {
      const client = await connect(core, { defaultProjectId: shop.id });
      for (const bad of ['https://example.com/', 'localhost', '127.0.0.1', 'nodot', 'shop.localhost', 'a..b.com']) {
        const r = await call(client, DOMAINS_ADD, { project_id: shop.id, domain: bad });
        expect(r.error.type, bad).toBe('VALIDATION_ERROR');
      }
      const missing = await call(client, DOMAINS_VERIFY, { project_id: shop.id, domain: 'never-added.example' });
      expect(missing.error.type).toBe('NOT_FOUND');
      expect(missing.error.message).toContain('domains_add');
    });

    it('a pending claim gives way to another site (only DNS control verifies)', async () => {
      await core.domains.add(other, 'blog.example.org');
      const mine = await core.domains.add(shop, 'blog.example.org');
      expect(mine.status).toBe('pending');
      expect((await core.domains.list(other)).domains).toEqual([]);
    });
  });
}
