import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../src/core/core.js';
import { SitepubError } from '../src/core/errors.js';
import { createApp } from '../src/http/app.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { silentLogger } from '../src/log.js';
import { freePort } from '../src/server.js';
import { REAL_PG_URL } from './dialects.js';
import { twoInstances } from './instances.js';
import { b64, PDF_MIN } from './helpers.js';
import { startServe, type ServeProcess } from './serve-process.js';

/** A request from another process reaches this one in a later turn of its event loop. */
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

function appOf(core: Core) {
  const { app } = createApp({
    core,
    logger: silentLogger,
    options: { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set(), trustProxy: true, maxBodyBytes: DEFAULT_MAX_BODY, crossInstance: true },
  });
  return async (p: string, host: string, headers: Record<string, string> = {}): Promise<Response> => {
    await nextTurn();
    return app.request(`http://${host}${p}`, { headers: { host, ...headers } });
  };
}

describe('a site cache on a SQLite file, without crossInstance', () => {
  let a: Core;
  let b: Core;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ a, b, cleanup } = await twoInstances('sqlite-file'));
  });
  afterAll(() => cleanup());

  it('a change that never signalled (an import, a hand edit) is dropped by the generation audit', async () => {
    const project = await a.projects.create({ name: 'Hand', subdomain: 'hand' });
    await a.pages.create(project, { slug: 'index.html', content: 'before' });
    const { app, cache } = createApp({ core: b, logger: silentLogger, options: { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set(), trustProxy: true, maxBodyBytes: DEFAULT_MAX_BODY } });
    const site = async () => {
      await nextTurn();
      return (await app.request('http://hand.localhost:8787/', { headers: { host: 'hand.localhost:8787' } })).text();
    };
    try {
      expect(await site()).toBe('before');
      a.db.sqlite!.prepare("update pages set content = 'edited' where project_id = ?").run(project.id);
      a.db.sqlite!.prepare('update projects set generation = generation + 1 where id = ?').run(project.id);
      expect(await site()).toBe('before'); // no signal: the cache does not know yet
      cache.auditGenerations(); // what the timer does every few seconds
      expect(await site()).toBe('edited');
    } finally {
      cache.close();
    }
  });
});

const KINDS = REAL_PG_URL ? (['sqlite-file', 'postgres'] as const) : (['sqlite-file'] as const);

describe.each(KINDS)('two instances on one %s database', (kind) => {
  let a: Core;
  let b: Core;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ a, b, cleanup } = await twoInstances(kind));
  });
  afterAll(() => cleanup());

  it('a page written on one is served by the other at once, every time', async () => {
    const project = await a.projects.create({ name: 'Shared', subdomain: 'shared' });
    const pb = await b.projects.get(project.id);
    const siteB = appOf(b);
    await a.pages.create(project, { slug: 'index.html', content: 'v1' });
    expect(await (await siteB('/', 'shared.localhost:8787')).text()).toBe('v1');
    for (let i = 2; i <= 5; i++) {
      await a.pages.update(project, { slug: 'index.html', content: `v${i}` });
      expect(await (await siteB('/', 'shared.localhost:8787')).text()).toBe(`v${i}`);
    }
    await a.pages.delete(project, 'index.html');
    expect((await siteB('/', 'shared.localhost:8787')).status).toBe(404);
    await b.pages.create(pb, { slug: 'index.html', content: 'from b' });
    expect(await (await appOf(a)('/', 'shared.localhost:8787')).text()).toBe('from b');
  });

  // Two SQLite connections in one process cannot interleave writes (a waiting BEGIN IMMEDIATE
  // blocks the event loop); SQLite concurrency across processes is covered by the serve tests.
  if (kind === 'sqlite-file') {
    console.log('multi-instance: the two in-process race tests are skipped on sqlite-file: two SQLite connections in one process cannot interleave writes; the serve-process tests cover SQLite across processes.');
  }
  it.skipIf(kind === 'sqlite-file')('concurrent patches on one base across both instances: exactly one wins', async () => {
    const project = await a.projects.create({ name: 'Race', subdomain: 'race' });
    const v1 = await a.pages.create(project, { slug: 'p.html', content: '<p>x</p>' });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).pages.patch(project, { slug: 'p.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'x', replace: `x${i}` }] }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const reasons = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as SitepubError).type);
    expect(reasons).toEqual(Array(19).fill('VERSION_CONFLICT'));
  });

  it.skipIf(kind === 'sqlite-file')('concurrent downloads of one token across both instances never exceed max_uses', async () => {
    const project = await a.projects.create({ name: 'Shop', subdomain: 'shop' });
    await a.assets.upload(project, { slug: 'f.pdf', content: b64(PDF_MIN), private: true });
    const g = await a.downloads.generate(project, { asset_url: '/f.pdf', max_uses: 5 });
    const [la, lb] = [appOf(a), appOf(b)];
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? la : lb)(`/d/${g.token}`, '127.0.0.1', { 'x-forwarded-for': `127.0.1.${i}` }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 403)).toHaveLength(35);
    const row = await b.db.kysely.selectFrom('download_tokens').select('use_count').where('id', '=', g.token_id).executeTakeFirstOrThrow();
    expect(row.use_count).toBe(5);
  });

  it('failed-attempt counters are shared', async () => {
    for (let i = 0; i < 3; i++) await a.limiter.fail('link:203.0.113.7');
    const row = await b.db.kysely.selectFrom('rate_limits').select('count').where('key', '=', 'link:203.0.113.7').executeTakeFirstOrThrow();
    expect(row.count).toBe(3);
  });
});

// Two real `sitepub serve` processes on one PostgreSQL database. Needs a server: CI sets DATABASE_URL.
if (!REAL_PG_URL) console.log('multi-instance: the two-serve-process PostgreSQL tests need a server (DATABASE_URL, as CI sets); skipped.');
describe.skipIf(!REAL_PG_URL)('two sitepub serve processes on PostgreSQL', () => {
  const dbName = `sitepub_e2e_${Date.now().toString(36)}`;
  let url = '';
  const servers: ServeProcess[] = [];
  const ports: number[] = [];
  let token = '';
  let projectId = '';

  const get = (port: number, host: string, p: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path: p, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      r.on('error', reject);
      r.end();
    });

  async function start(): Promise<ServeProcess> {
    const server = await startServe({ env: { DATABASE_URL: url } });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: REAL_PG_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(REAL_PG_URL!);
    u.pathname = `/${dbName}`;
    url = u.toString();
    const [one, two] = await Promise.all([start(), start()]);
    ports.push(one.port, two.port);
    const first = [one, two].find((s) => s.output().includes('Token:'))!;
    ({ token, projectId } = first.firstRun());
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    const admin = new pg.Client({ connectionString: REAL_PG_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  const api = (port: number, method: string, p: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as { data: Record<string, unknown>; error?: { type: string } } }));

  it('only one of two simultaneous first starts creates the project', async () => {
    const r = await api(ports[1]!, 'GET', '/papi/projects');
    expect(r.status).toBe(403);
    const st = await api(ports[0]!, 'GET', `/papi/project/${projectId}/status`);
    expect(st.status).toBe(200);
  });

  it('writes on one process are served by the other at once; patches race to one winner; downloads never exceed max_uses', async () => {
    const [p1, p2] = ports as [number, number];
    const host = (p: number) => `mysite.localhost:${p}`;
    expect((await api(p1, 'POST', `/papi/project/${projectId}/pages`, { slug: 'index.html', content: 'one' })).status).toBe(201);
    expect((await get(p2, host(p2), '/')).body).toBe('one');
    const cur = await api(p2, 'GET', `/papi/project/${projectId}/pages/index.html?include_version=true`);
    const hash = cur.json.data.version_hash as string;
    const patches = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api(i % 2 ? p1 : p2, 'PATCH', `/papi/project/${projectId}/pages/index.html`, { base_version_hash: hash, patches: [{ operation: 'replace', find: 'one', replace: `two-${i}` }] })),
    );
    expect(patches.filter((r) => r.status === 200)).toHaveLength(1);
    expect(patches.filter((r) => r.json.error?.type === 'VERSION_CONFLICT')).toHaveLength(19);
    expect((await get(p1, host(p1), '/')).body).toMatch(/^two-\d+$/);

    await api(p1, 'POST', `/papi/project/${projectId}/assets`, { slug: 'f.pdf', content: b64(PDF_MIN), private: true });
    const g = await api(p2, 'POST', `/iapi/project/${projectId}/file-downloads/generate-token`, { asset_url: '/f.pdf', max_uses: 7 });
    const tok = g.json.data.token as string;
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`http://127.0.0.1:${i % 2 ? p1 : p2}/d/${tok}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    const list = await api(p1, 'GET', `/iapi/project/${projectId}/file-downloads/list-downloads`);
    expect((list.json.data.downloads as Array<{ use_count: number }>)[0]!.use_count).toBe(7);
  });
});

// Real processes on one SQLite data folder: `serve --workers 2` (two workers behind one port) and a
// second `serve` beside it, as with `sitepub mcp` writing next to `sitepub serve`. Every write is
// answered before the next read is sent, so each read must show it, whichever process answers.
describe('sitepub serve processes on one SQLite data folder', () => {
  let dir = '';
  const servers: ServeProcess[] = [];
  let token = '';
  let projectId = '';
  let cluster = 0;
  let single = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  const call = (port: number, method: string, p: string, body?: unknown, host = '127.0.0.1'): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const r = request(
        { host: '127.0.0.1', port, path: p, method, agent, headers: { host, authorization: `Bearer ${token}`, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      r.on('error', reject);
      r.end(data);
    });

  async function start(args: string[], ready: RegExp): Promise<ServeProcess> {
    const server = await startServe({ dataDir: dir, args, ready, env: { SITEPUB_LOG_LEVEL: 'warn' } });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-sqlite-procs-'));
    cluster = await freePort('127.0.0.1');
    const first = await start(['--port', String(cluster), '--workers', '2'], /listening on .* with 2 workers/);
    ({ token, projectId } = first.firstRun());
    single = await freePort('127.0.0.1');
    await start(['--port', String(single)], /listening on/);
  });
  afterAll(async () => {
    agent.destroy();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('every read after an answered write shows it, on every worker and process', async () => {
    const site = (port: number) => call(port, 'GET', '/', undefined, `mysite.localhost:${port}`);
    expect((await call(cluster, 'POST', `/papi/project/${projectId}/pages`, { slug: 'index.html', content: 'v0' })).status).toBe(201);
    for (let i = 1; i <= 40; i++) {
      const writer = i % 3 === 0 ? single : cluster;
      const w = await call(writer, 'PUT', `/papi/project/${projectId}/pages/index.html`, { content: `v${i}` });
      expect(w.status, w.body).toBe(200);
      // Several reads on each side: with keep-alive sockets they land on both workers.
      const reads = await Promise.all([site(cluster), site(cluster), site(cluster), site(single), site(single)]);
      expect(reads.map((r) => r.body)).toEqual(Array(5).fill(`v${i}`));
    }
    expect((await call(single, 'DELETE', `/papi/project/${projectId}/pages/index.html`)).status).toBe(200);
    expect((await site(cluster)).status).toBe(404);
  });

  it('downloads from all three processes at once never exceed max_uses, and each is recorded', async () => {
    expect((await call(single, 'POST', `/papi/project/${projectId}/assets`, { slug: 'book.pdf', content: b64(PDF_MIN), private: true })).status).toBe(201);
    const g = await call(cluster, 'POST', `/iapi/project/${projectId}/file-downloads/generate-token`, { asset_url: '/book.pdf', max_uses: 25 });
    const token = (JSON.parse(g.body) as { data: { token: string } }).data.token;
    const fresh = new Agent({ keepAlive: false });
    const statuses = await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        new Promise<number>((resolve, reject) => {
          const r = request({ host: '127.0.0.1', port: i % 3 === 0 ? single : cluster, path: `/d/${token}`, agent: fresh }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          r.on('error', reject);
          r.end();
        }),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    // The rest are refused: used up (403), or, once this one address has failed often enough, rate-limited (429).
    expect(statuses.filter((s) => s === 403 || s === 429)).toHaveLength(65);
    const list = JSON.parse((await call(single, 'GET', `/iapi/project/${projectId}/file-downloads/list-downloads?limit=1`)).body) as { data: { downloads: Array<{ use_count: number; status: string }> } };
    expect(list.data.downloads[0]).toMatchObject({ use_count: 25, status: 'exhausted' });
    const stats = JSON.parse((await call(cluster, 'GET', `/iapi/project/${projectId}/file-downloads/get-stats?days=1`)).body) as { data: { total_downloads: number; exhausted_tokens: number } };
    expect(stats.data).toMatchObject({ total_downloads: 25, exhausted_tokens: 1 });
  });
});
