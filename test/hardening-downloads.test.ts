import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { DIALECTS } from './dialects.js';
import { b64, listenOnLoopback, makeApp, makeEnv, PDF_MIN, type LoopbackServer, type TestEnv } from './helpers.js';

/** A PDF large enough that `bytes=100-` is a real resume. */
const FILE = Buffer.concat([PDF_MIN, Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]);
const SIZE = FILE.length;

type Req = ReturnType<typeof makeApp>;

async function setup(env: TestEnv): Promise<void> {
  await env.core.assets.upload(env.project, { slug: 'files/ebook.pdf', content: b64(FILE), private: true });
}

const gen = (env: TestEnv, args: Record<string, unknown> = {}) => env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', ...args });
const uses = async (env: TestEnv, id: string): Promise<number> =>
  Number((await env.core.db.kysely.selectFrom('download_tokens').select('use_count').where('id', '=', id).executeTakeFirstOrThrow()).use_count);
const events = async (env: TestEnv, id: string, outcome?: string): Promise<number> => {
  let q = env.core.db.kysely.selectFrom('download_events').select((eb) => eb.fn.countAll<number>().as('n')).where('token_id', '=', id);
  if (outcome) q = q.where('outcome', '=', outcome);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

/** One client: a /24 and a user agent (the grant's fingerprint). */
const client = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}`, 'user-agent': 'DownloadManager/2.0' });

describe.each(DIALECTS)('Range continuations on %s', (dialect) => {
  let env: TestEnv;
  let req: Req;
  beforeEach(async () => {
    env = await makeEnv({ dialect });
    await setup(env);
    req = makeApp(env);
  });
  afterEach(() => env.close());

  const download = async (token: string, headers: Record<string, string> = client(1)): Promise<Response> => {
    const r = await req(`/d/${token}`, { headers });
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(FILE)).toBe(true);
    return r;
  };

  it('a range that starts at byte 0 (or covers the file) is a new download, not a continuation', async () => {
    const g = await gen(env, { max_uses: 1 });
    await download(g.token);
    for (const range of ['bytes=0-', `bytes=0-${SIZE - 1}`, 'bytes=0-99', `bytes=-${SIZE}`, 'bytes=0-9,10-', 'bytes=10-,0-9', 'bytes=100-200,300-400']) {
      const r = await req(`/d/${g.token}`, { headers: { ...client(1), range } });
      expect(r.status, range).toBe(403);
    }
    expect(await uses(env, g.token_id)).toBe(1);
    expect(await events(env, g.token_id, 'range')).toBe(0);
    // range-parser answers a suffix longer than the file with 416 (RFC 9110 would serve it all): no bytes either way.
    const long = await req(`/d/${g.token}`, { headers: { ...client(1), range: `bytes=-${SIZE * 10}` } });
    expect(long.status).toBe(416);
    expect((await long.arrayBuffer()).byteLength).toBe(0);
    expect(await uses(env, g.token_id)).toBe(1);
  });

  it('a new download by Range consumes a use and is served as asked', async () => {
    const g = await gen(env, { max_uses: 2 });
    await download(g.token);
    const r = await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=0-' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes 0-${SIZE - 1}/${SIZE}`);
    expect(await uses(env, g.token_id)).toBe(2);
  });

  it('a real resume (first byte > 0) of the same client rides the grant for free', async () => {
    const g = await gen(env, { max_uses: 1 });
    await download(g.token);
    const r = await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=100-' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes 100-${SIZE - 1}/${SIZE}`);
    expect(Buffer.from(await r.arrayBuffer()).equals(FILE.subarray(100))).toBe(true);
    const tail = await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=-50' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(FILE.subarray(SIZE - 50))).toBe(true);
    expect(await uses(env, g.token_id)).toBe(1);
    expect(await events(env, g.token_id, 'range')).toBe(2);
    // Same /24, same agent: still the grant's client.
    expect((await req(`/d/${g.token}`, { headers: { ...client(1), 'x-forwarded-for': '198.51.100.77', range: 'bytes=200-' } })).status).toBe(206);
    // Another agent is another client.
    expect((await req(`/d/${g.token}`, { headers: { ...client(1), 'user-agent': 'curl/8', range: 'bytes=200-' } })).status).toBe(403);
  });

  it('expiry and revocation apply to continuations too', async () => {
    const g = await gen(env, { max_uses: 1, expires_in_minutes: 5 });
    await download(g.token);
    expect((await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=100-' } })).status).toBe(206);
    env.clock.advance(6 * 60_000); // the 15-minute grant is still open, the link is not
    expect((await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=100-' } })).status).toBe(403);

    const r = await gen(env, { max_uses: 1 });
    await download(r.token);
    await env.core.downloads.revoke(env.project, { token_id: r.token_id });
    expect((await req(`/d/${r.token}`, { headers: { ...client(1), range: 'bytes=100-' } })).status).toBe(403);
  });

  it('a grant allows a bounded number of free continuations, also under concurrency', async () => {
    const g = await gen(env, { max_uses: 1 });
    await download(g.token);
    const statuses: number[] = await Promise.all(Array.from({ length: 40 }, (_, i) => Promise.resolve(req(`/d/${g.token}`, { headers: { ...client(1), range: `bytes=${100 + i}-` } })).then((r) => r.status)));
    expect(statuses.filter((s) => s === 206)).toHaveLength(16);
    expect(statuses.filter((s) => s === 403)).toHaveLength(24);
    expect(await uses(env, g.token_id)).toBe(1);
    expect(await events(env, g.token_id, 'range')).toBe(16);

    // With uses left, the continuation past the bound consumes one and opens a fresh grant.
    const two = await gen(env, { max_uses: 2 });
    await download(two.token);
    for (let i = 0; i < 16; i++) expect((await req(`/d/${two.token}`, { headers: { ...client(1), range: 'bytes=100-' } })).status).toBe(206);
    expect(await uses(env, two.token_id)).toBe(1);
    expect((await req(`/d/${two.token}`, { headers: { ...client(1), range: 'bytes=100-' } })).status).toBe(206);
    expect(await uses(env, two.token_id)).toBe(2);
    expect((await req(`/d/${two.token}`, { headers: { ...client(1), range: 'bytes=100-' } })).status).toBe(206);
    expect(await uses(env, two.token_id)).toBe(2);
  });

  it('If-Range: a matching strong ETag resumes; anything else is the full file, a new use (RFC 9110 13.1.5)', async () => {
    const g = await gen(env, { max_uses: 1 });
    const etag = (await download(g.token)).headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    const ok = await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=100-', 'if-range': etag } });
    expect(ok.status).toBe(206);
    for (const ifRange of ['"a-somethingelse"', `W/${etag}`, 'Sun, 01 Mar 2026 12:00:00 GMT']) {
      expect((await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=100-', 'if-range': ifRange } })).status, ifRange).toBe(403);
    }
    expect(await uses(env, g.token_id)).toBe(1);

    const two = await gen(env, { max_uses: 2 });
    await download(two.token);
    const full = await req(`/d/${two.token}`, { headers: { ...client(1), range: 'bytes=100-', 'if-range': '"a-somethingelse"' } });
    expect(full.status).toBe(200);
    expect(Buffer.from(await full.arrayBuffer()).equals(FILE)).toBe(true);
    expect(await uses(env, two.token_id)).toBe(2);
  });

  it('without a prior download a resume consumes a use (as before)', async () => {
    const g = await gen(env, { max_uses: 1 });
    const r = await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=100-' } });
    expect(r.status).toBe(206);
    expect(await uses(env, g.token_id)).toBe(1);
    expect((await req(`/d/${g.token}`, { headers: { ...client(1), range: 'bytes=200-' } })).status).toBe(206);
    expect(await uses(env, g.token_id)).toBe(1);
  });
});

/** A request body that counts what the server pulls from it, and could go on for ever. */
function countingBody(chunk = 64 * 1024, total = 64 * 1024 * 1024): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const bytes = new Uint8Array(chunk).fill(0x61);
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (pulled >= total) return c.close();
        pulled += chunk;
        c.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, pulled: () => pulled };
}

describe.each(DIALECTS)('POST /d/{token} and non-consuming events on %s', (dialect) => {
  let env: TestEnv;
  let req: Req;
  beforeEach(async () => {
    env = await makeEnv({ dialect, rateLimit: { points: 5, windowSec: 60 } });
    await setup(env);
    req = makeApp(env);
  });
  afterEach(() => env.close());

  const post = (token: string, body: BodyInit, headers: Record<string, string> = {}) =>
    req(`/d/${token}`, { method: 'POST', body, headers: { ...client(2), 'content-type': 'application/x-www-form-urlencoded', ...headers }, duplex: 'half' } as RequestInit);

  it('an unknown token is refused before any of the body is read', async () => {
    const b = countingBody();
    const r = await post(`spd_${'x'.repeat(43)}_abcdefg`, b.body);
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('Link not found');
    expect(b.pulled()).toBe(0);
    // A malformed token too, and guesses still count against the address.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c = countingBody();
      statuses.push((await post(`spd_guess${i}`, c.body)).status);
      expect(c.pulled()).toBe(0);
    }
    expect(statuses.slice(0, 4)).toEqual([404, 404, 404, 404]);
    expect(statuses.at(-1)).toBe(429);
  });

  it('an unusable token is refused without reading the body', async () => {
    const g = await gen(env, { max_uses: 1, require_confirmation: true });
    await env.core.downloads.revoke(env.project, { token_id: g.token_id });
    const b = countingBody();
    const r = await post(g.token, b.body);
    expect(r.status).toBe(403);
    expect(b.pulled()).toBe(0);
  });

  it('an oversized form to a valid token answers 413, reads little, consumes nothing', async () => {
    const g = await gen(env, { max_uses: 1, require_confirmation: true });
    const big = await post(g.token, `visitor_id=${'x'.repeat(10_000)}`);
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('text/html');
    const b = countingBody(1024);
    const streamed = await post(g.token, b.body);
    expect(streamed.status).toBe(413);
    expect(b.pulled()).toBeLessThanOrEqual(8 * 1024);
    const declared = await post(g.token, 'visitor_id=a', { 'content-length': String(DEFAULT_MAX_BODY * 4) });
    expect(declared.status).toBe(413);
    expect(await uses(env, g.token_id)).toBe(0);
    // The link still works.
    expect((await post(g.token, '')).status).toBe(200);
    expect(await uses(env, g.token_id)).toBe(1);
  });

  it('the confirmation page POST still downloads, with visitor_id from the form', async () => {
    const g = await gen(env, { max_uses: 1, require_confirmation: true, visitor_id: 'cust-9' });
    const pageRes = await req(`/d/${g.token}?visitor_id=cust-9`, { headers: client(2) });
    expect(pageRes.status).toBe(200);
    expect(await pageRes.text()).toContain('name="visitor_id" value="cust-9"');
    expect((await post(g.token, 'visitor_id=someone-else')).status).toBe(403);
    expect(await uses(env, g.token_id)).toBe(0);
    const dl = await post(g.token, 'visitor_id=cust-9');
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer()).equals(FILE)).toBe(true);
    expect(await uses(env, g.token_id)).toBe(1);
    // multipart works too, and no body at all is fine for an unbound link.
    const m = await gen(env, { max_uses: 1, require_confirmation: true, visitor_id: 'cust-10' });
    const fd = new FormData();
    fd.set('visitor_id', 'cust-10');
    expect((await req(`/d/${m.token}`, { method: 'POST', body: fd, headers: client(2) })).status).toBe(200);
    const plain = await gen(env, { max_uses: 1, require_confirmation: true });
    expect((await req(`/d/${plain.token}`, { method: 'POST', headers: client(2) })).status).toBe(200);
  });

  it('100 HEADs of one link write at most one event row and consume nothing; consuming GETs are all recorded', async () => {
    const g = await gen(env, { max_uses: 0 });
    for (let i = 0; i < 100; i++) expect((await req(`/d/${g.token}`, { method: 'HEAD', headers: client(3) })).status).toBe(200);
    expect(await events(env, g.token_id)).toBe(1);
    for (let i = 0; i < 50; i++) expect((await req(`/d/${g.token}`, { headers: { ...client(3), 'user-agent': 'Slackbot-LinkExpanding 1.0' } })).status).toBe(200);
    expect(await events(env, g.token_id, 'preview')).toBe(1);
    expect(await uses(env, g.token_id)).toBe(0);
    env.clock.advance(61_000); // a new window records again
    await req(`/d/${g.token}`, { method: 'HEAD', headers: client(3) });
    expect(await events(env, g.token_id, 'head')).toBe(2);
    for (let i = 0; i < 5; i++) expect((await req(`/d/${g.token}`, { headers: client(3) })).status).toBe(200);
    expect(await events(env, g.token_id, 'ok')).toBe(5);
    expect(await uses(env, g.token_id)).toBe(5);
  });
});

describe('POST /d/{token} over a real socket', () => {
  let env: TestEnv;
  let server: LoopbackServer;
  let port: number;
  beforeEach(async () => {
    env = await makeEnv();
    await setup(env);
    server = await listenOnLoopback(env.core);
    port = server.port;
  });
  afterEach(async () => {
    await server.close();
    await env.close();
  });

  /** Streams `total` bytes (chunked) and resolves with the status as soon as the answer arrives. */
  const streamPost = (path: string, total: number): Promise<{ status: number; sent: number; body: string }> =>
    new Promise((resolve, reject) => {
      let sent = 0;
      let done = false;
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const r = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          done = true;
          resolve({ status: res.statusCode ?? 0, sent, body });
          r.destroy();
        });
      });
      r.on('error', (e) => (done ? undefined : reject(e)));
      const pump = (): void => {
        while (!done && sent < total) {
          sent += chunk.length;
          if (!r.write(chunk)) return void r.once('drain', pump);
        }
        if (!done) r.end();
      };
      pump();
    });

  it('an unknown token answers 404 without taking in the body; a valid one 413 past the small cap', async () => {
    const unknown = await streamPost(`/d/spd_${'x'.repeat(43)}_abcdefg`, 32 * 1024 * 1024);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('Link not found');
    const g = await gen(env, { max_uses: 1, require_confirmation: true });
    const big = await streamPost(`/d/${g.token}`, 32 * 1024 * 1024);
    expect(big.status).toBe(413);
    expect(await uses(env, g.token_id)).toBe(0);
  });
});
