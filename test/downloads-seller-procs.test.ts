import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/server.js';
import { REAL_PG_URL } from './dialects.js';
import { b64, PNG_1PX } from './helpers.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * Bundles and stamped PDFs served by real `sitepub serve` processes at once: uses stay exact
 * (never more than max_uses, each recorded), and every copy of one link is the same bytes,
 * whichever process made it (the ZIP and the stamp are deterministic).
 */
const PDF = Buffer.from(
  await (async () => {
    const d = await PDFDocument.create();
    for (let i = 0; i < 3; i++) d.addPage([400, 600]).drawText(`Page ${i + 1}`, { x: 30, y: 500 });
    return d.save();
  })(),
);

const agent = new Agent({ keepAlive: false });

function fetchRaw(port: number, p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: p, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    r.on('error', reject);
    r.end();
  });
}

function suite(label: string, start: () => Promise<{ ports: number[]; token: string; projectId: string; stop(): Promise<void> }>): void {
  describe(label, () => {
    let ports: number[] = [];
    let token = '';
    let projectId = '';
    let stop = async (): Promise<void> => {};
    beforeAll(async () => {
      ({ ports, token, projectId, stop } = await start());
    });
    afterAll(() => stop());

    const api = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(`http://127.0.0.1:${ports[0]}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return (await r.json()) as { data: Record<string, unknown> };
    };

    it('a bundle and a stamped PDF downloaded from every process at once: exactly max_uses copies, all identical, each recorded', async () => {
      const P = `/papi/project/${projectId}`;
      const F = `/iapi/project/${projectId}/file-downloads`;
      await api('POST', `${P}/assets/bulk`, { assets: [{ slug: 'book.pdf', content: b64(PDF), private: true }, { slug: 'cover.png', content: b64(PNG_1PX), private: true }] });
      const bundle = (await api('POST', `${F}/generate-token`, { asset_urls: ['/book.pdf', '/cover.png'], max_uses: 8, metadata: [{ key: 'email', value: 'ana@example.com' }], stamp: 'Licensed to {metadata.email}' })).data;
      const stamped = (await api('POST', `${F}/generate-token`, { asset_url: '/book.pdf', max_uses: 8, visitor_id: 'buyer-1', stamp: 'Licensed to {visitor_id} on {date}' })).data;
      const hit = (t: string, q = '') => Promise.all(Array.from({ length: 30 }, (_, i) => fetchRaw(ports[i % ports.length]!, `/d/${t}${q}`, { 'x-forwarded-for': `198.51.100.${i}` })));
      const [zips, pdfs] = await Promise.all([hit(bundle.token as string), hit(stamped.token as string, '?visitor_id=buyer-1')]);
      for (const [name, answers] of [['bundle', zips], ['stamped', pdfs]] as const) {
        const ok = answers.filter((a) => a.status === 200);
        expect(ok, name).toHaveLength(8);
        expect(answers.filter((a) => a.status === 403 || a.status === 429), name).toHaveLength(22);
        for (const a of ok) {
          expect(a.body.equals(ok[0]!.body), name).toBe(true);
          expect(a.body.length, name).toBe(Number(a.headers['content-length']));
        }
      }
      const list = (await api('GET', `${F}/list-downloads?limit=2`)).data.downloads as Array<{ token_id: string; use_count: number; status: string }>;
      expect(list.map((d) => [d.use_count, d.status])).toEqual([
        [8, 'exhausted'],
        [8, 'exhausted'],
      ]);
      for (const t of [bundle, stamped]) {
        const ok = (await api('GET', `${F}/list-attempts?token_id=${t.token_id as string}&outcome=ok`)).data;
        expect(ok.total).toBe(8);
      }
      const stats = (await api('GET', `${F}/get-stats?days=1`)).data;
      expect(stats).toMatchObject({ total_downloads: 16, exhausted_tokens: 2, top_files: [{ asset_url: '/book.pdf', downloads: 16 }, { asset_url: '/cover.png', downloads: 8 }] });
    });
  });
}

suite('sitepub serve processes on one SQLite data folder (2 workers and a second process)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-seller-procs-'));
  const servers: ServeProcess[] = [];
  const cluster = await freePort('127.0.0.1');
  servers.push(await startServe({ dataDir: dir, args: ['--port', String(cluster), '--workers', '2'], ready: /listening on .* with 2 workers/, env: { SITEPUB_LOG_LEVEL: 'warn' } }));
  const { token, projectId } = servers[0]!.firstRun();
  const single = await freePort('127.0.0.1');
  servers.push(await startServe({ dataDir: dir, args: ['--port', String(single)], env: { SITEPUB_LOG_LEVEL: 'warn' } }));
  return {
    ports: [cluster, single],
    token,
    projectId,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

if (!REAL_PG_URL) console.log('downloads-seller-procs: the PostgreSQL variant needs a server (DATABASE_URL); skipped.');
if (REAL_PG_URL)
  suite('two sitepub serve processes on PostgreSQL', async () => {
    const dbName = `sitepub_seller_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: REAL_PG_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(REAL_PG_URL!);
    u.pathname = `/${dbName}`;
    const servers = await Promise.all([startServe({ env: { DATABASE_URL: u.toString(), SITEPUB_LOG_LEVEL: 'warn' } }), startServe({ env: { DATABASE_URL: u.toString(), SITEPUB_LOG_LEVEL: 'warn' } })]);
    const first = servers.find((s) => s.output().includes('Token:'))!;
    return {
      ports: servers.map((s) => s.port),
      ...first.firstRun(),
      stop: async () => {
        await Promise.all(servers.map((s) => s.stop()));
        const c = new pg.Client({ connectionString: REAL_PG_URL });
        await c.connect();
        await c.query(`drop database if exists ${dbName} with (force)`);
        await c.end();
      },
    };
  });
