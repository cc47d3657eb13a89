import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { makeUrlConfig } from '../src/core/config.js';
import { Core } from '../src/core/core.js';
import { sha256Hex } from '../src/core/ids.js';
import { migrate } from '../src/db/connect.js';
import { exportData, importData } from '../src/db/transfer.js';
import { openTestDb, pgLabel } from './dialects.js';
import { b64, makeEnv, PDF_MIN, PNG_1PX } from './helpers.js';

describe(`moving a project from SQLite to ${pgLabel} with export/import`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps pages with history, assets, tokens and download records', async () => {
    const src = await makeEnv();
    const { core, project } = src;
    const v1 = await core.pages.create(project, { slug: 'index.html', content: '<h1>One</h1>', meta: { title: 'Home' } });
    await core.pages.patch(project, { slug: 'index.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'One', replace: 'Two' }] });
    await core.assets.upload(project, { slug: 'logo.png', content: b64(PNG_1PX) });
    await core.assets.upload(project, { slug: 'book.pdf', content: b64(PDF_MIN), private: true });
    // A file of several chunks moves chunk by chunk; an upload still streaming in does not move.
    const video = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom\0\0\0\0isom', 'latin1'), randomBytes(2.5 * 1024 * 1024)]);
    await core.assets.uploadStream(project, { slug: 'course.mp4', private: true }, [video]);
    await core.db.kysely.insertInto('blob_staging').values({ storage_key: 'blb_inflight', created_at: '2026-03-01T12:00:00.000Z' }).execute();
    await core.db.kysely.insertInto('blob_chunks').values({ storage_key: 'blb_inflight', seq: 0, data: Buffer.from('partial') }).execute();
    const tok = await core.downloads.generate(project, { asset_url: '/book.pdf', max_uses: 3, expires_in_hours: 0 });
    await core.downloads.verify(project, { token: tok.token });
    // A bundle link's files and the project's webhook move too.
    const bundle = await core.downloads.generate(project, { asset_urls: ['/book.pdf', '/logo.png'] });
    const hook = await core.downloads.webhooks.set(project, { url: 'https://shop.example.com/hooks', events: ['download.completed'] });
    const api = await core.projects.issueToken({ projectId: project.id });
    await core.owners.create({ email: 'ana@example.com', password: 'a long password' });
    // Page views and custom domains move with their site.
    core.analytics.view(project.id, 'index.html', 'https://news.example/', 'bakery.localhost');
    await core.analytics.flush();
    await core.domains.add(project, 'www.bakery.example');
    const file = path.join(dir, 'export.jsonl');
    const out = createWriteStream(file);
    const counts = await exportData(core.db, out);
    await new Promise((r) => out.end(r));
    expect(counts).toMatchObject({ projects: 1, pages: 1, page_versions: 2, assets: 3, blobs: 3, blob_chunks: 5, download_tokens: 2, download_bundle_files: 2, download_events: 1, owners: 1, webhooks: 1, site_views_daily: 1, site_referrers_daily: 1, site_domains: 1 });
    await src.close();

    const target = await openTestDb('postgres');
    try {
      await migrate(target.db);
      expect(await importData(target.db, file)).toMatchObject(counts);
      const moved = new Core({ db: target.db, urls: makeUrlConfig('http://127.0.0.1:8787', 'localhost'), clock: new ManualClock('2026-03-01T13:00:00.000Z') });
      const p = await moved.projects.get(project.id);
      expect((await moved.pages.get(p, 'index.html', true)).content).toBe('<h1>Two</h1>');
      expect((await moved.pages.versions(p, 'index.html')).versions).toHaveLength(2);
      expect(Buffer.from((await moved.assets.get(p, 'logo.png')).content, 'base64').equals(PNG_1PX)).toBe(true);
      expect((await collect(moved.assets.read({ sha256: sha256Hex(video) }, 0, video.length - 1))).equals(video)).toBe(true);
      await expect(moved.downloads.verify(p, { token: tok.token })).resolves.toMatchObject({ use_count: 2, remaining_uses: 1 });
      await expect(moved.projects.authenticate(api.token)).resolves.toMatchObject({ projectId: project.id });
      expect((await moved.downloads.stats(p, 1)).total_downloads).toBe(2);
      await expect(moved.downloads.verify(p, { token: bundle.token })).resolves.toMatchObject({ asset_urls: ['/book.pdf', '/logo.png'] });
      expect((await moved.downloads.webhooks.set(p, { url: 'https://shop.example.com/hooks', events: ['download.completed'] })).secret).toBe(hook.secret);
      // Owners move with their password hashes: the same password signs in on the new database.
      await expect(moved.owners.signIn({ email: 'ana@example.com', password: 'a long password', ip: '127.0.0.1' })).resolves.toMatchObject({ email: 'ana@example.com' });
      await expect(importData(target.db, file)).rejects.toThrow(/empty database/);
    } finally {
      await target.cleanup();
    }

    // An export made before files were chunked (blobs.data whole, no blob_chunks) imports into chunks.
    const legacy = path.join(dir, 'legacy.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { table?: string; row?: Record<string, unknown> });
    const chunks = lines.filter((l) => l.table === 'blob_chunks').map((l) => l.row as { storage_key: string; seq: number; data: { $base64: string } });
    const old = lines
      .filter((l) => l.table !== 'blob_chunks')
      .map((l) => {
        if (l.table !== 'blobs') return l;
        const { storage_key, chunk_bytes: _cb, chunk_count: _cc, ...row } = l.row as Record<string, unknown>;
        const data = Buffer.concat(chunks.filter((c) => c.storage_key === storage_key).sort((a, b) => a.seq - b.seq).map((c) => Buffer.from(c.data.$base64, 'base64')));
        return { table: 'blobs', row: { ...row, data: { $base64: data.toString('base64') } } };
      });
    writeFileSync(legacy, old.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const again = await openTestDb('postgres');
    try {
      await migrate(again.db);
      await importData(again.db, legacy);
      const moved = new Core({ db: again.db, urls: makeUrlConfig('http://127.0.0.1:8787', 'localhost'), clock: new ManualClock('2026-03-01T13:00:00.000Z') });
      expect((await collect(moved.assets.read({ sha256: sha256Hex(video) }, 1_000_000, video.length - 1))).equals(video.subarray(1_000_000))).toBe(true);
      expect((await moved.assets.content(project.id, 'logo.png'))!.data!.equals(PNG_1PX)).toBe(true);
    } finally {
      await again.cleanup();
    }
  });
});

async function collect(r: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('import waits for its transaction before reading the file', () => {
  it('loses no line when BEGIN is slow', async () => {
    const src = await makeEnv();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sitepub-export-')), 'slow.jsonl');
    const out = createWriteStream(file);
    const counts = await exportData(src.core.db, out);
    await new Promise((r) => out.end(r));
    await src.close();
    const target = await openTestDb('sqlite');
    try {
      await migrate(target.db);
      // A BEGIN that takes a while, as on a loaded PostgreSQL server.
      const kysely = target.db.kysely;
      const begin = kysely.transaction.bind(kysely);
      (kysely as { transaction: typeof kysely.transaction }).transaction = () => {
        const b = begin();
        const execute = b.execute.bind(b);
        return Object.assign(b, { execute: async (f: Parameters<typeof execute>[0]) => (await new Promise((r) => setTimeout(r, 200)), execute(f)) });
      };
      expect(await importData(target.db, file)).toEqual(Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)));
    } finally {
      await target.cleanup();
    }
  });
});
