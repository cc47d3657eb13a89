import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Migrator, sql, type Kysely, type Migration as KyselyMigration } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WHOLE_CHECK_BYTES } from '../src/core/asset-stream-check.js';
import { WHOLE_FILE_BYTES } from '../src/core/assets.js';
import { migrate } from '../src/db/connect.js';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import { DIALECTS, openTestDb, pgLabel } from './dialects.js';
import { PDF_MIN, PNG_1PX, b64, listenOnLoopback, makeEnv, rejection, type LoopbackServer, type TestEnv } from './helpers.js';

const KB = 1024;
const MB = 1024 * 1024;

/** An MP4 as file-type recognises it (an ftyp box), then `size` bytes of noise. */
function mp4(size: number): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(4), Buffer.from('isom', 'latin1')]);
  return Buffer.concat([ftyp, Buffer.alloc(64), randomBytes(size)]);
}

/** The bytes in pieces of uneven sizes, as a network delivers them. */
async function* pieces(data: Buffer, max = 7000): AsyncGenerator<Buffer> {
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const n = Math.min(data.length - at, 1 + ((i++ * 2654435761) % max));
    yield data.subarray(at, at + n);
    at += n;
  }
}

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const label = (d: string): string => (d === 'postgres' ? pgLabel : d);

async function count(env: TestEnv, table: 'blobs' | 'blob_chunks' | 'blob_staging' | 'assets'): Promise<number> {
  return Number((await env.core.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

/** A refused upload leaves nothing: no asset, no blob, no chunk, no staging row, no bytes counted. */
async function expectNothingStored(env: TestEnv): Promise<void> {
  expect({ assets: await count(env, 'assets'), blobs: await count(env, 'blobs'), chunks: await count(env, 'blob_chunks'), staging: await count(env, 'blob_staging') }).toEqual({ assets: 0, blobs: 0, chunks: 0, staging: 0 });
  expect((await env.core.assets.quota.usage(env.project.id)).used).toBe(0);
}

for (const dialect of DIALECTS) {
  describe(`files in chunks on ${label(dialect)} (small chunks)`, () => {
    let env: TestEnv;
    beforeEach(async () => {
      env = await makeEnv({ dialect, limits: { chunkBytes: 1000, maxPrivateBytes: 64 * KB } });
    });
    afterEach(() => env.close());

    it('a streamed file is stored as chunks and read back by any range, across chunk boundaries', async () => {
      const data = mp4(25_437);
      const info = await env.core.assets.uploadStream(env.project, { slug: 'video.mp4', private: true }, pieces(data));
      expect(info).toMatchObject({ slug: 'video.mp4', private: true, size_bytes: data.length, sha256: sha(data), content_type: 'video/mp4' });
      const blob = await env.core.db.kysely.selectFrom('blobs').selectAll().where('sha256', '=', sha(data)).executeTakeFirstOrThrow();
      expect(blob).toMatchObject({ size_bytes: data.length, chunk_bytes: 1000, chunk_count: Math.ceil(data.length / 1000) });
      const chunks = await env.core.db.kysely.selectFrom('blob_chunks').select(['seq', 'data']).where('storage_key', '=', blob.storage_key).orderBy('seq').execute();
      expect(chunks.map((c) => c.seq)).toEqual([...Array(blob.chunk_count).keys()]);
      expect(chunks.every((c, i) => c.data.byteLength === (i < chunks.length - 1 ? 1000 : data.length % 1000))).toBe(true);
      expect(await count(env, 'blob_staging')).toBe(0);

      const row = { sha256: info.sha256 };
      const last = data.length - 1;
      for (const [s, e] of [[0, last], [0, 0], [999, 1000], [1000, 1999], [1001, 1998], [last, last], [1234, 20_000], [last - 1500, last]] as const) {
        expect((await collect(env.core.assets.read(row, s, e))).equals(data.subarray(s, e + 1)), `${s}-${e}`).toBe(true);
      }
      // Small enough to be read whole (and cached) for sites and links.
      expect((await env.core.assets.content(env.project.id, 'video.mp4'))!.data!.equals(data)).toBe(true);
    });

    it('the same bytes are stored once, however they came, and go with their last asset', async () => {
      const data = mp4(5000);
      await env.core.assets.uploadStream(env.project, { slug: 'a.mp4', private: true }, pieces(data));
      await env.core.assets.uploadStream(env.project, { slug: 'b.mp4', private: true }, pieces(data, 300));
      await env.core.assets.upload(env.project, { slug: 'c.mp4', content: b64(data), private: true });
      expect(await count(env, 'blobs')).toBe(1);
      expect(await count(env, 'blob_chunks')).toBe(Math.ceil(data.length / 1000));
      expect(await count(env, 'blob_staging')).toBe(0);
      for (const slug of ['a.mp4', 'b.mp4', 'c.mp4']) await env.core.assets.delete(env.project, slug);
      await expectNothingStored(env);
    });

    it('bytes sent in the call (base64) are chunked too, and replaced content is collected', async () => {
      const one = Buffer.concat([PDF_MIN, Buffer.alloc(2500, 0x20)]);
      const two = Buffer.concat([PDF_MIN, Buffer.alloc(4100, 0x20)]);
      await env.core.assets.upload(env.project, { slug: 'doc.pdf', content: b64(one) });
      await env.core.assets.upload(env.project, { slug: 'doc.pdf', content: b64(two), overwrite: true });
      expect(await count(env, 'blobs')).toBe(1);
      expect(await count(env, 'blob_chunks')).toBe(Math.ceil(two.length / 1000));
      expect((await env.core.assets.get(env.project, 'doc.pdf')).content).toBe(b64(two));
    });

    it('refusals store nothing: wrong type, too many bytes (declared or counted), a broken stream, bad text', async () => {
      const up = (slug: string, source: AsyncIterable<Uint8Array>, declaredBytes?: number) => rejection(env.core.assets.uploadStream(env.project, { slug, private: true }, source, { declaredBytes }));
      const wrong = await up('video.mp4', pieces(Buffer.concat([PNG_1PX, randomBytes(3000)])));
      expect(wrong.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(wrong.message).toMatch(/PNG/);
      await expectNothingStored(env);

      const declared = await up('video.mp4', pieces(mp4(100)), 65 * KB);
      expect(declared.type).toBe('PAYLOAD_TOO_LARGE');
      expect(declared.details).toMatchObject({ max_bytes: 64 * KB });

      let sent = 0;
      const endless = async function* (): AsyncGenerator<Buffer> {
        yield mp4(100);
        for (;;) {
          sent += 4096;
          yield randomBytes(4096);
        }
      };
      const counted = await up('video.mp4', endless());
      expect(counted.type).toBe('PAYLOAD_TOO_LARGE');
      expect(counted.message).toMatch(/stopped/);
      expect(sent).toBeLessThan(70 * KB);
      await expectNothingStored(env);

      const broken = async function* (): AsyncGenerator<Buffer> {
        yield mp4(3000);
        throw new Error('connection reset');
      };
      await expect(env.core.assets.uploadStream(env.project, { slug: 'video.mp4', private: true }, broken())).rejects.toThrow('connection reset');
      await expectNothingStored(env);

      const csv = Buffer.concat([Buffer.from('a,b\n'.repeat(1000)), Buffer.from([0xc3])]);
      expect((await up('data.csv', pieces(csv))).message).toMatch(/UTF-8/);
      expect((await up('data.csv', pieces(Buffer.from([])))).type).toBe('VALIDATION_ERROR');
      await expectNothingStored(env);
    });

    it('a sellable type is refused public before a byte is read', async () => {
      let read = false;
      const source = async function* (): AsyncGenerator<Buffer> {
        read = true;
        yield mp4(10);
      };
      const e = await rejection(env.core.assets.uploadStream(env.project, { slug: 'video.mp4' }, source()));
      expect(e.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(read).toBe(false);
      await expectNothingStored(env);
    });

    it('chunks left by a process that died mid-upload are swept; a live upload is not', async () => {
      const old = new Date(env.clock.now().getTime() - 2 * 86_400_000).toISOString();
      await env.core.db.kysely.insertInto('blob_staging').values([{ storage_key: 'blb_dead', created_at: old }, { storage_key: 'blb_live', created_at: env.clock.now().toISOString() }]).execute();
      await env.core.db.kysely.insertInto('blob_chunks').values([{ storage_key: 'blb_dead', seq: 0, data: Buffer.from('x') }, { storage_key: 'blb_live', seq: 0, data: Buffer.from('y') }]).execute();
      await env.core.assets.sweepStaleHolds();
      expect((await env.core.db.kysely.selectFrom('blob_chunks').select('storage_key').execute()).map((r) => r.storage_key)).toEqual(['blb_live']);
      expect((await env.core.db.kysely.selectFrom('blob_staging').select('storage_key').execute()).map((r) => r.storage_key)).toEqual(['blb_live']);
    });
  });

  describe(`large files stream on ${label(dialect)}`, () => {
    let env: TestEnv;
    let server: LoopbackServer;
    let base: string;
    const CHUNK = 256 * KB + 3;
    beforeEach(async () => {
      env = await makeEnv({ dialect, limits: { chunkBytes: CHUNK } });
      server = await listenOnLoopback(env.core);
      base = server.base;
    });
    afterEach(async () => {
      await server.close();
      await env.close();
    });

    it('a file over the in-memory size is never read whole; a link streams it, and a Range resumes it in the middle', async () => {
      const data = mp4(WHOLE_FILE_BYTES + 300 * KB);
      await env.core.assets.uploadStream(env.project, { slug: 'course/video.mp4', private: true }, pieces(data, 64 * KB));
      const found = await env.core.assets.content(env.project.id, 'course/video.mp4');
      expect(found!.data).toBeUndefined();
      const g = await env.core.downloads.generate(env.project, { asset_url: '/course/video.mp4', max_uses: 1 });
      const url = `${base}${new URL(g.download_url).pathname}`;

      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(data.length));
      expect(head.headers.get('accept-ranges')).toBe('bytes');

      // The first transfer is cut after about 3 MB; the rest comes as a continuation (no second use).
      const first = await fetch(url);
      expect(first.status).toBe(200);
      const reader = first.body!.getReader();
      const got: Buffer[] = [];
      let have = 0;
      while (have < 3 * MB) {
        const { value, done } = await reader.read();
        if (done) break;
        got.push(Buffer.from(value));
        have += value.byteLength;
      }
      await reader.cancel();
      const resumeAt = have - 12_345; // mid-chunk, and before what was received
      const rest = await fetch(url, { headers: { range: `bytes=${resumeAt}-`, 'if-range': head.headers.get('etag')! } });
      expect(rest.status).toBe(206);
      expect(rest.headers.get('content-range')).toBe(`bytes ${resumeAt}-${data.length - 1}/${data.length}`);
      const whole = Buffer.concat([Buffer.concat(got).subarray(0, resumeAt), Buffer.from(await rest.arrayBuffer())]);
      expect(sha(whole)).toBe(sha(data));
      const middle = await fetch(url, { headers: { range: `bytes=${CHUNK - 5}-${3 * CHUNK + 7}` } });
      expect(middle.status).toBe(206);
      expect(Buffer.from(await middle.arrayBuffer()).equals(data.subarray(CHUNK - 5, 3 * CHUNK + 8))).toBe(true);
      const used = await env.core.db.kysely.selectFrom('download_tokens').select('use_count').where('id', '=', g.token_id).executeTakeFirstOrThrow();
      expect(Number(used.use_count)).toBe(1);
    });

    it('a bundle streams a large file into its ZIP', async () => {
      const big = mp4(WHOLE_FILE_BYTES + 10 * KB);
      await env.core.assets.uploadStream(env.project, { slug: 'video.mp4', private: true }, pieces(big, 64 * KB));
      await env.core.assets.upload(env.project, { slug: 'notes.pdf', content: b64(PDF_MIN), private: true });
      const g = await env.core.downloads.generate(env.project, { asset_urls: ['/video.mp4', '/notes.pdf'] });
      const res = await fetch(`${base}${new URL(g.download_url).pathname}`);
      expect(res.status).toBe(200);
      const zip = Buffer.from(await res.arrayBuffer());
      expect(zip.length).toBe(Number(res.headers.get('content-length')));
      const at = zip.indexOf(big.subarray(0, 100));
      expect(at).toBeGreaterThan(0);
      expect(zip.subarray(at, at + big.length).equals(big)).toBe(true);
    });

    it('past the whole-file check, a large file is checked by its head, and text to its last byte; nothing is stored on refusal', async () => {
      const up = (slug: string, data: Buffer) => rejection(env.core.assets.uploadStream(env.project, { slug, private: true }, pieces(data, 64 * KB)));
      let pulled = 0;
      const noise = async function* (): AsyncGenerator<Buffer> {
        for (;;) {
          pulled += 64 * KB;
          yield randomBytes(64 * KB);
        }
      };
      const e = await rejection(env.core.assets.uploadStream(env.project, { slug: 'video.mp4', private: true }, noise()));
      expect(e.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(pulled).toBeLessThanOrEqual(WHOLE_CHECK_BYTES + 64 * KB);
      const lines = Buffer.from('title,price\n"Course, part 1",49\n'.repeat(200_000));
      expect(lines.length).toBeGreaterThan(WHOLE_CHECK_BYTES);
      expect((await up('data.csv', Buffer.concat([lines, Buffer.from([0xe2, 0x82])]))).message).toMatch(/UTF-8/);
      expect((await up('data.csv', Buffer.concat([lines, Buffer.from([0])]))).message).toMatch(/NUL/);
      expect((await up('data.json', Buffer.concat([Buffer.from('  hello'), lines]))).type).toBe('UNSUPPORTED_MEDIA_TYPE');
      await expectNothingStored(env);
      const ok = await env.core.assets.uploadStream(env.project, { slug: 'data.csv', private: true }, pieces(Buffer.concat([lines, Buffer.from('"caf\u00e9",1\n')]), 64 * KB));
      expect(ok.content_type).toBe('text/csv; charset=utf-8');
    });
  });

  describe(`source_url streams into chunks on ${label(dialect)}`, () => {
    let env: TestEnv;
    let server: Server;
    let base: string;
    const files: Record<string, Buffer> = { '/video.mp4': mp4(WHOLE_CHECK_BYTES + 200 * KB), '/noise.mp4': randomBytes(WHOLE_CHECK_BYTES + 200 * KB) };
    beforeEach(async () => {
      env = await makeEnv({ dialect, limits: { chunkBytes: 256 * KB }, fetchPolicy: { allowAddresses: ['127.0.0.1'] } });
      server = createServer((req, res) => {
        const f = files[req.url ?? ''];
        if (!f) return res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // In pieces, as a network sends them (no Content-Length: the size is counted).
        Readable.from(pieces(f, 64 * KB)).pipe(res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await env.close();
    });

    it('a large private file from source_url is stored in chunks; a wrong one stores nothing', async () => {
      const info = await env.core.assets.upload(env.project, { slug: 'video.mp4', source_url: `${base}/video.mp4`, private: true });
      expect(info).toMatchObject({ size_bytes: files['/video.mp4']!.length, sha256: sha(files['/video.mp4']!) });
      expect(await count(env, 'blob_chunks')).toBe(Math.ceil(files['/video.mp4']!.length / (256 * KB)));
      expect(await count(env, 'blob_staging')).toBe(0);
      await env.core.assets.delete(env.project, 'video.mp4');
      const e = await rejection(env.core.assets.upload(env.project, { slug: 'noise.mp4', source_url: `${base}/noise.mp4`, private: true }));
      expect(e.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      await expectNothingStored(env);
    });
  });

  describe(`migration 0018 on ${label(dialect)}: existing files move into chunks in place`, () => {
    it('every blob becomes its chunks, byte for byte; reads and links work on the moved data', async () => {
      const { db, cleanup } = await openTestDb(dialect);
      try {
        const before = MIGRATIONS.filter((m) => m.name < '0018');
        const schema = dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]?.s : undefined;
        const provider = { getMigrations: async (): Promise<Record<string, KyselyMigration>> => Object.fromEntries(before.map((m) => [m.name, { up: (k: Kysely<unknown>) => m.up(k, db.dialect) }])) };
        const r = await new Migrator({ db: db.kysely, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
        expect(r.error).toBeUndefined();
        const files = { small: Buffer.from('hello world\n'), exact: randomBytes(MB), long: randomBytes(2 * MB + 123) };
        const k = db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
        const at = '2026-01-01T00:00:00.000Z';
        await k.insertInto('projects').values({ id: 'prj_1', name: 'P', subdomain: 'p', created_at: at }).execute();
        for (const [name, data] of Object.entries(files)) {
          await k.insertInto('blobs').values({ sha256: sha(data), size_bytes: data.length, data, created_at: at }).execute();
          await k.insertInto('assets').values({ id: `ast_${name}`, project_id: 'prj_1', slug: `${name}.txt`, sha256: sha(data), content_type: 'text/plain', size_bytes: data.length, private: 1, alt: null, created_at: at, updated_at: at }).execute();
        }
        expect((await migrate(db))[0]).toBe('0018-blob-chunks');
        const blobs = await db.kysely.selectFrom('blobs').selectAll().orderBy('size_bytes').execute();
        expect(blobs.map((b) => [b.chunk_count, b.chunk_bytes, 'data' in b])).toEqual([[1, MB, false], [1, MB, false], [3, MB, false]]);
        expect(Number((await db.kysely.selectFrom('blob_chunks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(5);
        const { Core } = await import('../src/core/core.js');
        const { makeUrlConfig } = await import('../src/core/config.js');
        const core = new Core({ db, urls: makeUrlConfig('http://127.0.0.1:8787', 'localhost') });
        for (const [name, data] of Object.entries(files)) {
          expect((await core.assets.content('prj_1', `${name}.txt`))!.data!.equals(data), name).toBe(true);
          expect((await collect(core.assets.read({ sha256: sha(data) }, 5, data.length - 1))).equals(data.subarray(5)), name).toBe(true);
        }
        expect((await collect(core.assets.read({ sha256: sha(files.long) }, MB - 10, 2 * MB + 10))).equals(files.long.subarray(MB - 10, 2 * MB + 11))).toBe(true);
      } finally {
        await cleanup();
      }
    });
  });
}
