import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UPLOAD_URL_TTL_MS } from '../src/core/upload-urls.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { DIALECTS, pgLabel } from './dialects.js';
import { PDF_MIN, PNG_1PX, TEST_PUBLIC_URL, b64, call, connect, listenOnLoopback, makeEnv, rejection, type LoopbackServer, type TestEnv } from './helpers.js';

const KB = 1024;
const MB = 1024 * 1024;

function mp4(size: number): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(4), Buffer.from('isom', 'latin1')]);
  return Buffer.concat([ftyp, Buffer.alloc(64), randomBytes(size)]);
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Created {
  upload_url: string;
  method: string;
  expires_at: string;
  max_bytes: number;
  curl: string;
}

interface PutResult {
  status: number;
  json: { success: boolean; data?: Record<string, unknown>; error?: { code: number; type: string; message: string } };
  headers: Record<string, string | string[] | undefined>;
  /** Bytes the client had written when the answer came. */
  sent: number;
}

for (const dialect of DIALECTS) {
  describe(`upload URLs on ${dialect === 'postgres' ? pgLabel : dialect}`, () => {
    let env: TestEnv;
    let client: Client;
    let server: LoopbackServer;
    let port: number;
    beforeEach(async () => {
      env = await makeEnv({ dialect, limits: { chunkBytes: 256 * KB + 1, maxPrivateBytes: 12 * MB } });
      client = await connect(env.core);
      server = await listenOnLoopback(env.core);
      port = server.port;
    });
    afterEach(async () => {
      await server.close();
      await env.close();
    });

    const create = async (args: Record<string, unknown>): Promise<Created> => {
      const r = await call<Created>(client, 'assets_create_upload_url', args);
      expect(r.ok, JSON.stringify(r.error)).toBe(true);
      return r.data;
    };
    /** The URL's path on this test server (the public URL names port 8787). */
    const local = (url: string): string => new URL(url).pathname;

    /** PUTs `data` in pieces (chunked unless `length` is given), and stops sending once the answer arrives. */
    const put = (url: string, data: Buffer, opts: { length?: number; method?: string } = {}): Promise<PutResult> =>
      new Promise((resolve, reject) => {
        let sent = 0;
        let answered = false;
        const headers: Record<string, string | number> = opts.length === undefined ? { 'transfer-encoding': 'chunked' } : { 'content-length': opts.length };
        const r = httpRequest({ host: '127.0.0.1', port, path: local(url), method: opts.method ?? 'PUT', headers }, (res) => {
          answered = true;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(body), headers: res.headers, sent });
            r.destroy();
          });
        });
        r.on('error', (e) => (answered ? undefined : reject(e)));
        const step = 64 * KB;
        const write = (): void => {
          while (!answered && sent < data.length) {
            const piece = data.subarray(sent, sent + step);
            sent += piece.length;
            if (!r.write(piece)) return void r.once('drain', write);
          }
          if (!answered) r.end();
        };
        write();
      });

    const count = async (table: 'assets' | 'blobs' | 'blob_chunks' | 'blob_staging'): Promise<number> =>
      Number((await env.core.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const nothingStored = async (): Promise<void> => {
      expect({ assets: await count('assets'), blobs: await count('blobs'), chunks: await count('blob_chunks'), staging: await count('blob_staging') }).toEqual({ assets: 0, blobs: 0, chunks: 0, staging: 0 });
    };

    it('a tool call gives a one-time PUT URL, a ready curl command, the expiry and the size limit', async () => {
      const u = await create({ slug: 'course/video.mp4', private: true });
      expect(u.method).toBe('PUT');
      expect(u.upload_url).toMatch(new RegExp(`^${TEST_PUBLIC_URL}/upload/spu_[A-Za-z0-9_-]{43}_[0-9a-z]{7}$`));
      expect(u.curl).toBe(`curl -T FILE '${u.upload_url}'`);
      expect(Date.parse(u.expires_at) - env.clock.now().getTime()).toBe(UPLOAD_URL_TTL_MS);
      expect(u.max_bytes).toBe(12 * MB);
      expect((await create({ slug: 'img/logo.png' })).max_bytes).toBe(5 * MB);
      // Only the token's hash is stored.
      const token = u.upload_url.slice(u.upload_url.lastIndexOf('/') + 1);
      const row = await env.core.db.kysely.selectFrom('upload_urls').selectAll().where('slug', '=', 'course/video.mp4').executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(token);
      expect(row.token_hash).toBe(sha(Buffer.from(token)));
    });

    it('what can be known without the bytes is refused when the URL is asked for', async () => {
      await env.core.assets.upload(env.project, { slug: 'logo.png', content: b64(PNG_1PX) });
      await env.core.pages.create(env.project, { slug: 'about.html', content: '<h1>About</h1>' });
      const refused = async (args: Record<string, unknown>): Promise<string> => (await call(client, 'assets_create_upload_url', args)).error.type;
      expect(await refused({ slug: 'video.mp4' })).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(await refused({ slug: 'tool.exe', private: true })).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(await refused({ slug: 'logo.png' })).toBe('ALREADY_EXISTS');
      expect(await refused({ slug: 'about.html' })).toBe('ALREADY_EXISTS');
      expect(await refused({ slug: '../x.png' })).toBe('VALIDATION_ERROR');
      expect(await refused({ slug: 'a.png', content: 'x' })).toBe('VALIDATION_ERROR');
      expect((await create({ slug: 'logo.png', overwrite: true })).max_bytes).toBe(5 * MB);
    });

    it('the PUT streams a file past the API body limit into storage and answers its metadata; the link streams it back', async () => {
      const data = mp4(DEFAULT_MAX_BODY + 700 * KB);
      const u = await create({ slug: 'course/video.mp4', private: true, alt: 'Lesson 1' });
      const r = await put(u.upload_url, data, { length: data.length });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      expect(r.json).toMatchObject({ success: true, data: { slug: 'course/video.mp4', path: '/course/video.mp4', url: null, private: true, alt: 'Lesson 1', size_bytes: data.length, sha256: sha(data), content_type: 'video/mp4' } });
      const link = await env.core.downloads.generate(env.project, { asset_url: '/course/video.mp4' });
      const res = await fetch(`http://127.0.0.1:${port}${new URL(link.download_url).pathname}`);
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(data));

      // Once only: a second PUT stores nothing.
      const again = await put(u.upload_url, mp4(100), { length: 184 });
      expect(again.status).toBe(403);
      expect(again.json.error).toMatchObject({ code: 403, type: 'TOKEN_EXHAUSTED' });
      expect(again.json.error!.message).toMatch(/assets_create_upload_url/);
      expect((await env.core.assets.getInfo(env.project, 'course/video.mp4')).sha256).toBe(sha(data));
      expect(await count('blobs')).toBe(1);
    });

    it('each refusal is the contract error and stores nothing: wrong type, too many bytes (declared or counted), expired, unknown', async () => {
      const u = await create({ slug: 'video.mp4', private: true });
      const wrong = await put(u.upload_url, Buffer.concat([PNG_1PX, randomBytes(6 * MB)]));
      expect(wrong.status).toBe(415);
      expect(wrong.json.error).toMatchObject({ type: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(wrong.json.error!.message).toMatch(/PNG/);
      expect(wrong.headers.connection).toBe('close');
      await nothingStored();

      const declared = await put(u.upload_url, mp4(100), { length: 13 * MB });
      expect(declared.status).toBe(413);
      expect(declared.json.error).toMatchObject({ type: 'PAYLOAD_TOO_LARGE', max_bytes: 12 * MB });
      expect(declared.sent).toBeLessThan(13 * MB);

      const counted = await put(u.upload_url, mp4(13 * MB));
      expect(counted.status).toBe(413);
      expect(counted.json.error!.message).toMatch(/over 12 MB/);
      await nothingStored();

      // A refused upload gives the URL back: the right file goes through it.
      const ok = await put(u.upload_url, mp4(1000));
      expect(ok.status).toBe(201);

      const late = await create({ slug: 'late.mp4', private: true });
      env.clock.advance(UPLOAD_URL_TTL_MS + 1000);
      const expired = await put(late.upload_url, mp4(1000));
      expect(expired.status).toBe(403);
      expect(expired.json.error).toMatchObject({ type: 'TOKEN_EXPIRED' });
      expect(expired.json.error!.message).toMatch(/15 minutes/);

      const unknown = await put(`${TEST_PUBLIC_URL}/upload/spu_${'A'.repeat(43)}_0000000`, mp4(10));
      expect(unknown.status).toBe(404);
      expect(unknown.json.error).toMatchObject({ type: 'TOKEN_INVALID' });
      expect((await put(`${TEST_PUBLIC_URL}/upload/nonsense`, mp4(10))).json.error).toMatchObject({ type: 'TOKEN_INVALID' });
      expect(await count('assets')).toBe(1);
      expect(await count('blob_staging')).toBe(0);
    });

    it('the quota is charged as assets_upload does; an upload past it stores nothing', async () => {
      await env.core.assets.quota.setQuota(env.project.id, 2 * MB);
      const u = await create({ slug: 'video.mp4', private: true });
      const declared = await put(u.upload_url, mp4(3 * MB), { length: 3 * MB + 84 });
      expect(declared.status).toBe(413);
      expect(declared.json.error!.message).toMatch(/quota/);
      const chunked = await put(u.upload_url, mp4(30 * MB));
      expect(chunked.status).toBe(413);
      expect(chunked.json.error!.message).toMatch(/quota/);
      // Stopped when it passed the room left (2 MB), long before the end of the 30 MB body.
      expect(chunked.sent).toBeLessThan(20 * MB);
      await nothingStored();
      const fits = await put(u.upload_url, mp4(MB));
      expect(fits.status).toBe(201);
      expect((await env.core.assets.quota.usage(env.project.id)).used).toBe(MB + 84);
    });

    it('overwrite, private and alt are the URL\'s: a replacement keeps links working', async () => {
      await env.core.assets.upload(env.project, { slug: 'book.pdf', content: b64(PDF_MIN), private: true });
      const link = await env.core.downloads.generate(env.project, { asset_url: '/book.pdf', max_uses: 0 });
      const u = await create({ slug: 'book.pdf', overwrite: true });
      const next = Buffer.concat([PDF_MIN, Buffer.from('% second edition\n')]);
      const r = await put(u.upload_url, next);
      expect(r.status).toBe(201);
      expect(r.json.data).toMatchObject({ private: true, size_bytes: next.length });
      const res = await fetch(`http://127.0.0.1:${port}${new URL(link.download_url).pathname}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(next)).toBe(true);
    });

    it('two PUTs of one URL at once: one stores, the other is refused', async () => {
      const u = await create({ slug: 'video.mp4', private: true });
      const results = await Promise.all([put(u.upload_url, mp4(2 * MB)), put(u.upload_url, mp4(2 * MB))]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 403]);
      expect(await count('assets')).toBe(1);
      expect(await count('blob_staging')).toBe(0);
    });

    it('other methods say how the URL is used and take nothing', async () => {
      const u = await create({ slug: 'video.mp4', private: true });
      const res = await fetch(`http://127.0.0.1:${port}${local(u.upload_url)}`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('PUT');
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/curl -T FILE/);
      expect((await put(u.upload_url, mp4(100))).status).toBe(201);
    });

    it('the REST route answers the same as the tool', async () => {
      const { token } = await env.core.projects.issueToken({ projectId: env.project.id });
      const res = await fetch(`http://127.0.0.1:${port}/papi/project/${env.project.id}/assets/upload-url`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slug: 'album.zip', private: true }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { success: boolean; data: Created };
      expect(body.data).toMatchObject({ method: 'PUT', max_bytes: 12 * MB });
      expect(body.data.curl).toBe(`curl -T FILE '${body.data.upload_url}'`);
      const refused = await fetch(`http://127.0.0.1:${port}/papi/project/${env.project.id}/assets/upload-url`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slug: 'album.zip' }),
      });
      expect(refused.status).toBe(415);
    });

    it('the curl command, run as given with FILE replaced, stores the file', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-curl-'));
      try {
        const data = mp4(3 * MB);
        const file = path.join(dir, 'lesson 1.mp4');
        writeFileSync(file, data);
        const u = await create({ slug: 'course/lesson-1.mp4', private: true });
        // The public URL names port 8787; the test server listens elsewhere (loopback only).
        const cmd = u.curl.replace('FILE', `'${file}'`).replace(TEST_PUBLIC_URL, `http://127.0.0.1:${port}`);
        const { stdout } = await promisify(execFile)('sh', ['-c', `${cmd} --silent --show-error`]);
        expect(JSON.parse(stdout)).toMatchObject({ success: true, data: { slug: 'course/lesson-1.mp4', sha256: sha(data) } });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('upload URL tokens', () => {
  it('a refused upload in the core gives the URL back; a stored one marks it used in the same transaction', async () => {
    const env = await makeEnv({ limits: { chunkBytes: 4096 } });
    try {
      const u = await env.core.uploads.create(env.project, { slug: 'v.mp4', private: true });
      const token = u.upload_url.slice(u.upload_url.lastIndexOf('/') + 1);
      expect((await rejection(env.core.uploads.receive(token, [PNG_1PX]))).type).toBe('UNSUPPORTED_MEDIA_TYPE');
      const row = await env.core.db.kysely.selectFrom('upload_urls').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ claimed_at: null, used_at: null });
      await env.core.uploads.receive(token, [mp4(10_000)]);
      expect((await env.core.db.kysely.selectFrom('upload_urls').selectAll().executeTakeFirstOrThrow()).used_at).not.toBeNull();
      expect((await rejection(env.core.uploads.receive(token, [mp4(10)]))).type).toBe('TOKEN_EXHAUSTED');
    } finally {
      await env.close();
    }
  });
});
