import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, pgLabel } from './dialects.js';
import { b64, makeEnv, PDF_MIN, PNG_1PX, rejection, type TestEnv } from './helpers.js';

/** A loopback file server: /f{i}.pdf serves a distinct PDF; it notes, per request, what the database held then. */
async function fileServer(onRequest: (path: string) => Promise<void>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    void onRequest(req.url ?? '').then(() => {
      const m = /^\/f(\d+)\.pdf$/.exec(req.url ?? '');
      if (!m) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('not a pdf');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.concat([PDF_MIN, Buffer.from(`%file ${m[1]}\n`), Buffer.alloc(50_000, 32)]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

for (const kind of DIALECTS) {
  describe(`bulk uploads and storage quotas on ${kind === 'postgres' ? pgLabel : kind}`, () => {
    let env: TestEnv;
    let srv: { server: Server; base: string };
    const heldAtRequest: number[] = [];
    beforeAll(async () => {
      env = await makeEnv({ dialect: kind, fetchPolicy: { allowAddresses: ['127.0.0.1'] } });
      srv = await fileServer(async () => {
        const n = await env.core.db.kysely.selectFrom('blob_holds').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        heldAtRequest.push(Number(n.n));
      });
    });
    afterAll(async () => {
      await new Promise((r) => srv.server.close(r));
      await env.close();
    });

    const blobCount = async (): Promise<number> =>
      Number((await env.core.db.kysely.selectFrom('blobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

    it('stores item by item (one item in memory at a time), still all or nothing', async () => {
      heldAtRequest.length = 0;
      const items = Array.from({ length: 12 }, (_, i) => ({ slug: `books/f${i}.pdf`, source_url: `${srv.base}/f${i}.pdf`, private: true }));
      const out = await env.core.assets.bulkUpload(env.project, items);
      expect(out.uploaded).toBe(12);
      // Before item i was fetched, the i items before it were already stored (under a hold).
      expect(heldAtRequest).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(await env.core.db.kysely.selectFrom('blob_holds').selectAll().execute()).toEqual([]);
    });

    it('a failing item stores nothing and leaves no staged blob behind', async () => {
      const blobs = await blobCount();
      const items = [
        ...Array.from({ length: 5 }, (_, i) => ({ slug: `more/g${i}.pdf`, source_url: `${srv.base}/f${100 + i}.pdf` })),
        { slug: 'more/bad.pdf', source_url: `${srv.base}/bad` },
      ];
      const e = await rejection(env.core.assets.bulkUpload(env.project, items));
      expect(e.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(e.message).toContain('assets[5]');
      const listed = await env.core.assets.list(env.project, 1000);
      expect(listed.assets.some((a) => a.slug.startsWith('more/'))).toBe(false);
      expect(await blobCount()).toBe(blobs);
      expect(await env.core.db.kysely.selectFrom('blob_holds').selectAll().execute()).toEqual([]);
    });

    it('an item whose path is taken fails the batch before anything is fetched', async () => {
      heldAtRequest.length = 0;
      const items = [
        { slug: 'early/a.pdf', source_url: `${srv.base}/f300.pdf` },
        { slug: 'books/f3.pdf', source_url: `${srv.base}/f301.pdf` },
      ];
      const e = await rejection(env.core.assets.bulkUpload(env.project, items));
      expect(e.type).toBe('ALREADY_EXISTS');
      expect(e.message).toContain('assets[1]');
      expect(heldAtRequest).toHaveLength(0);
    });

    it('refuses growth past the quota with a typed error, and counts deletes and overwrites', async () => {
      const p = await env.core.projects.create({ name: 'Quota', subdomain: `quota-${kind}` });
      const size = PDF_MIN.length + 1000;
      const pdf = (tag: string) => b64(Buffer.concat([PDF_MIN, Buffer.from(`%${tag}`.padEnd(1000, ' '))]));
      await env.core.assets.quota.setQuota(p.id, size * 2);
      await env.core.assets.upload(p, { slug: 'a.pdf', content: pdf('a') });
      await env.core.assets.upload(p, { slug: 'b.pdf', content: pdf('b') });
      const e = await rejection(env.core.assets.upload(p, { slug: 'c.pdf', content: pdf('c') }));
      expect(e.type).toBe('PAYLOAD_TOO_LARGE');
      expect(e.details).toMatchObject({ quota_bytes: size * 2, used_bytes: size * 2, needed_bytes: size });
      expect(e.message).toContain('assets_list');
      expect((await env.core.assets.list(p)).total).toBe(2);
      // An overwrite of the same size fits; a delete frees room.
      await env.core.assets.upload(p, { slug: 'a.pdf', content: pdf('A'), overwrite: true });
      await env.core.assets.delete(p, 'b.pdf');
      await env.core.assets.upload(p, { slug: 'c.pdf', content: pdf('c') });
      expect((await env.core.assets.quota.usage(p.id)).used).toBe(size * 2);
    });

    it('a bulk that cannot fit stops early and stores nothing', async () => {
      const p = await env.core.projects.create({ name: 'Quota bulk', subdomain: `quota-bulk-${kind}` });
      await env.core.assets.quota.setQuota(p.id, 120_000);
      heldAtRequest.length = 0;
      const items = Array.from({ length: 10 }, (_, i) => ({ slug: `f${i}.pdf`, source_url: `${srv.base}/f${200 + i}.pdf` }));
      const e = await rejection(env.core.assets.bulkUpload(p, items));
      expect(e.type).toBe('PAYLOAD_TOO_LARGE');
      expect(e.message).toContain('assets[2]');
      expect(heldAtRequest).toHaveLength(3);
      expect((await env.core.assets.list(p)).total).toBe(0);
      expect((await env.core.assets.quota.usage(p.id)).used).toBe(0);
    });

    it('holds left by a dead upload are swept and their blobs collected', async () => {
      const blobs = await blobCount();
      const bytes = Buffer.concat([PNG_1PX, Buffer.from(`stale-${kind}`)]);
      const { sha256Hex } = await import('../src/core/ids.js');
      const sha = sha256Hex(bytes);
      const at = new Date(env.clock.now().getTime() - 2 * 86_400_000).toISOString();
      await env.core.db.kysely.transaction().execute(async (tx) => {
        await env.core.assets.blobs.put(tx, sha, bytes, at);
        await tx.insertInto('blob_holds').values({ hold_id: 'hold_dead', sha256: sha, created_at: at }).execute();
      });
      expect(await env.core.assets.sweepStaleHolds()).toBe(1);
      expect(await blobCount()).toBe(blobs);
      expect(await env.core.db.kysely.selectFrom('blob_chunks').select('storage_key').where('storage_key', 'not in', env.core.db.kysely.selectFrom('blobs').select('storage_key')).execute()).toEqual([]);
    });
  });
}
