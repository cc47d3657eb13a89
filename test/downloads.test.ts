import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VERIFY_GUESS_LIMIT } from '../src/core/download-verify.js';
import { SitepubError } from '../src/core/errors.js';
import { credentialOf } from '../tools/invoke.js';
import { rebuildTokenCounters } from '../src/db/migrations/0006-token-state-counters.js';
import { DIALECTS } from './dialects.js';
import { b64, call, connect, makeApp, makeEnv, PDF_MIN, type TestEnv } from './helpers.js';

type Gen = { token: string; token_id: string; download_url: string; expires_at: string | null; max_uses: number };

async function setup(env: TestEnv): Promise<void> {
  await env.core.assets.upload(env.project, { slug: 'files/ebook.pdf', content: b64(PDF_MIN), private: true });
}

describe.each(DIALECTS)('download tokens (core) on %s', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ dialect });
    await setup(env);
  });
  afterEach(() => env.close());

  it('generates prefixed 256-bit tokens with the reference defaults, storing only a hash', async () => {
    const g = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf' });
    expect(g.token).toMatch(/^spd_[A-Za-z0-9_-]{43}_[0-9a-z]{7}$/);
    expect(g.download_url).toBe(`http://127.0.0.1:8787/d/${g.token}`);
    expect(g.max_uses).toBe(1);
    expect(g.expires_at).toBe('2026-03-02T12:00:00.000Z');
    expect(g.filename).toBe('ebook.pdf');
    const row = await env.core.db.kysely.selectFrom('download_tokens').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(g.token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts asset_url by path or site URL of the same project only', async () => {
    const ok1 = await env.core.downloads.generate(env.project, { asset_url: 'files/ebook.pdf' });
    const ok2 = await env.core.downloads.generate(env.project, { asset_url: 'http://bakery.localhost:8787/files/ebook.pdf' });
    expect(ok1.asset_url).toBe('/files/ebook.pdf');
    expect(ok2.asset_url).toBe('/files/ebook.pdf');
    await expect(env.core.downloads.generate(env.project, { asset_url: 'https://evil.example.com/files/ebook.pdf' })).rejects.toMatchObject({ type: 'VALIDATION_ERROR' });
    await expect(env.core.downloads.generate(env.project, { asset_url: '/files/none.pdf' })).rejects.toMatchObject({ type: 'NOT_FOUND' });
    const other = await env.core.projects.create({ name: 'Other', subdomain: 'other' });
    await expect(env.core.downloads.generate(other, { asset_url: '/files/ebook.pdf' })).rejects.toMatchObject({ type: 'NOT_FOUND' });
    await expect(env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', expiration_redirect_url: 'javascript:alert(1)' })).rejects.toMatchObject({ type: 'VALIDATION_ERROR' });
  });

  it('50 concurrent verifies on max_uses 5 give exactly 5 successes', async () => {
    const g = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', max_uses: 5 });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => env.core.downloads.verify(env.project, { token: g.token })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const reasons = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as SitepubError).type);
    expect(new Set(reasons)).toEqual(new Set(['TOKEN_EXHAUSTED']));
    const row = await env.core.db.kysely.selectFrom('download_tokens').select('use_count').executeTakeFirstOrThrow();
    expect(row.use_count).toBe(5);
  });

  it('expires by the clock, in hours or minutes, and 0 means never', async () => {
    const h = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', expires_in_hours: 2, max_uses: 0 });
    const m = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', expires_in_minutes: 30, max_uses: 0 });
    const never = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', expires_in_hours: 0, max_uses: 0 });
    expect(never.expires_at).toBeNull();
    env.clock.advance(29 * 60_000);
    await env.core.downloads.verify(env.project, { token: m.token });
    env.clock.advance(60_000);
    await expect(env.core.downloads.verify(env.project, { token: m.token })).rejects.toMatchObject({ type: 'TOKEN_EXPIRED' });
    await env.core.downloads.verify(env.project, { token: h.token });
    env.clock.advance(2 * 3600_000);
    await expect(env.core.downloads.verify(env.project, { token: h.token })).rejects.toMatchObject({ type: 'TOKEN_EXPIRED' });
    env.clock.advance(10 * 365 * 24 * 3600_000);
    await expect(env.core.downloads.verify(env.project, { token: never.token })).resolves.toMatchObject({ valid: true, remaining_uses: null });
  });

  it('binds to a visitor and reports every refusal reason', async () => {
    const bound = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', visitor_id: 'v-1', max_uses: 2 });
    await expect(env.core.downloads.verify(env.project, { token: bound.token })).rejects.toMatchObject({ type: 'TOKEN_WRONG_VISITOR' });
    await expect(env.core.downloads.verify(env.project, { token: bound.token, visitor_id: 'v-2' })).rejects.toMatchObject({ type: 'TOKEN_WRONG_VISITOR' });
    await expect(env.core.downloads.verify(env.project, { token: bound.token, visitor_id: 'v-1' })).resolves.toMatchObject({ use_count: 1, remaining_uses: 1 });
    await env.core.downloads.revoke(env.project, { token_id: bound.token_id });
    await expect(env.core.downloads.verify(env.project, { token: bound.token, visitor_id: 'v-1' })).rejects.toMatchObject({ type: 'TOKEN_REVOKED' });
    await expect(env.core.downloads.verify(env.project, { token: 'spd_' + 'A'.repeat(43) + '_0000000' })).rejects.toMatchObject({ type: 'TOKEN_INVALID' });
    const other = await env.core.projects.create({ name: 'Other', subdomain: 'other' });
    const g = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf' });
    await expect(env.core.downloads.verify(other, { token: g.token })).rejects.toMatchObject({ type: 'TOKEN_INVALID' });
  });

  it('lists with status filters, totals and no plain tokens; stats equal what happened', async () => {
    const a = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', max_uses: 2, metadata: { order_id: 'A1' } });
    const b = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', max_uses: 1, visitor_id: 'vis' });
    const c = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', expires_in_minutes: 1 });
    const d = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf' });
    await env.core.downloads.verify(env.project, { token: a.token });
    await env.core.downloads.verify(env.project, { token: b.token, visitor_id: 'vis' });
    await env.core.downloads.revoke(env.project, { token: d.token });
    env.clock.advance(2 * 60_000);
    const all = await env.core.downloads.list(env.project, {});
    expect(all.total).toBe(4);
    expect(JSON.stringify(all)).not.toContain(a.token);
    const byId = new Map(all.downloads.map((x) => [x.token_id, x]));
    expect(byId.get(a.token_id)).toMatchObject({ status: 'active', use_count: 1, remaining_uses: 1, metadata: { order_id: 'A1' }, last_download_at: '2026-03-01T12:00:00.000Z' });
    expect(byId.get(b.token_id)!.status).toBe('exhausted');
    expect(byId.get(c.token_id)!.status).toBe('expired');
    expect(byId.get(d.token_id)!.status).toBe('revoked');
    for (const [status, id] of [['active', a], ['exhausted', b], ['expired', c], ['revoked', d]] as const) {
      const r = await env.core.downloads.list(env.project, { status });
      expect(r.total, status).toBe(1);
      expect(r.downloads[0]!.token_id).toBe(id.token_id);
    }
    expect((await env.core.downloads.list(env.project, { visitor_id: 'vis' })).total).toBe(1);
    expect((await env.core.downloads.list(env.project, { asset_url: '/files/ebook.pdf', limit: 2, offset: 1 })).downloads).toHaveLength(2);

    const stats = await env.core.downloads.stats(env.project, 7);
    expect(stats).toMatchObject({ total_tokens: 4, total_downloads: 2, active_tokens: 1, exhausted_tokens: 1, expired_tokens: 1, revoked_tokens: 1 });
    expect(stats.top_files).toEqual([{ asset_url: '/files/ebook.pdf', downloads: 2 }]);
    expect(stats.daily).toHaveLength(7);
    expect(stats.daily.at(-1)).toEqual({ date: '2026-03-01', downloads: 2, refused: 0 });
    // The tool's default: only days with activity.
    expect((await env.core.downloads.stats(env.project, 7, false)).daily).toEqual([{ date: '2026-03-01', downloads: 2, refused: 0 }]);
  });

  it('get-stats token states equal a count of every token, as time passes and after a counter rebuild', async () => {
    // Tokens on three days, expiring this hour, next hour, tomorrow and never; some used up, some revoked.
    const made: Gen[] = [];
    const gen = async (expires_in_minutes: number, max_uses: number) => {
      const g = (await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', expires_in_minutes, max_uses })) as Gen;
      made.push(g);
      return g;
    };
    for (let day = 0; day < 3; day++) {
      for (const ttl of [20, 90, 24 * 60, 0]) {
        const once = await gen(ttl, 1);
        const twice = await gen(ttl, 2);
        await gen(ttl, 0);
        const doomed = await gen(ttl, 1);
        await env.core.downloads.verify(env.project, { token: once.token }); // used up
        await env.core.downloads.verify(env.project, { token: twice.token }); // one use left
        await env.core.downloads.verify(env.project, { token: doomed.token }); // used up, then revoked
        await env.core.downloads.revoke(env.project, { token: doomed.token });
        await env.core.downloads.revoke(env.project, { token: doomed.token }); // idempotent: counted once
      }
      const spare = await gen(30, 1);
      await env.core.downloads.revoke(env.project, { token_id: spare.token_id });
      env.clock.advance(86_400_000 - 5 * 60_000); // the next day, five minutes earlier in the hour
    }
    const truth = async (days: number) => {
      const now = env.clock.now();
      const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1))).toISOString();
      const all = await env.core.downloads.list(env.project, { limit: 100 });
      const inWindow = all.downloads.filter((d) => d.created_at >= since);
      const n = (status: string) => inWindow.filter((d) => d.status === status).length;
      return { total_tokens: inWindow.length, active_tokens: n('active'), expired_tokens: n('expired'), exhausted_tokens: n('exhausted'), revoked_tokens: n('revoked') };
    };
    const pick = (s: Awaited<ReturnType<typeof env.core.downloads.stats>>) => ({
      total_tokens: s.total_tokens,
      active_tokens: s.active_tokens,
      expired_tokens: s.expired_tokens,
      exhausted_tokens: s.exhausted_tokens,
      revoked_tokens: s.revoked_tokens,
    });
    const seen = new Set<string>();
    for (const step of [0, 10 * 60_000, 15 * 60_000, 60 * 60_000, 3 * 3_600_000, 86_400_000]) {
      env.clock.advance(step);
      for (const days of [1, 2, 30]) {
        const expected = await truth(days);
        expect(pick(await env.core.downloads.stats(env.project, days)), `+${step} ms, ${days} days`).toEqual(expected);
        seen.add(JSON.stringify(expected));
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(4); // the states really moved between the checks
    // The migration's backfill (also used by bulk loads) gives the same counters as the writes kept.
    const kept = await env.core.db.kysely.selectFrom('download_token_daily').selectAll().orderBy('created_day').orderBy('expiry_hour').execute();
    await rebuildTokenCounters(env.core.db.kysely as never);
    const rebuilt = await env.core.db.kysely.selectFrom('download_token_daily').selectAll().orderBy('created_day').orderBy('expiry_hour').execute();
    expect(rebuilt.map((r) => ({ ...r, tokens: Number(r.tokens), revoked: Number(r.revoked), exhausted: Number(r.exhausted) }))).toEqual(
      kept.map((r) => ({ ...r, tokens: Number(r.tokens), revoked: Number(r.revoked), exhausted: Number(r.exhausted) })),
    );
    expect(kept.length).toBeGreaterThan(5);
  });
});

describe('download link /d/{token}', () => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  let client: Client;
  beforeAll(async () => {
    env = await makeEnv({ rateLimit: { points: 5, windowSec: 60 } });
    await setup(env);
    req = makeApp(env);
    client = await connect(env.core);
  });
  afterAll(() => env.close());

  const gen = async (args: Record<string, unknown> = {}) => (await call<Gen>(client, 'file-downloads_generate_token', { asset_url: '/files/ebook.pdf', ...args })).data;
  const uses = async (id: string) => (await env.core.db.kysely.selectFrom('download_tokens').select('use_count').where('id', '=', id).executeTakeFirstOrThrow()).use_count;
  const ip = (n: number) => ({ 'x-forwarded-for': `127.0.0.${n}` });

  it('streams the file with safe headers and counts one use', async () => {
    const g = await gen({ filename: 'Brot & Kuchen – Rezepte.pdf' });
    const r = await req(new URL(g.download_url).pathname, { headers: ip(2) });
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(PDF_MIN)).toBe(true);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.headers.get('cache-control')).toBe('private, no-store');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-robots-tag')).toContain('noindex');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const cd = r.headers.get('content-disposition')!;
    expect(cd).toMatch(/^attachment; filename="Brot & Kuchen \? Rezepte.pdf"; filename\*=UTF-8''Brot%20%26%20Kuchen%20%E2%80%93%20Rezepte.pdf$/);
    expect(await uses(g.token_id)).toBe(1);
    const again = await req(`/d/${g.token}`, { headers: ip(2) });
    expect(again.status).toBe(403);
    expect(await again.text()).toContain('used the maximum number of times');
  });

  it('HEAD and link-preview bots never consume', async () => {
    const g = await gen();
    const head = await req(`/d/${g.token}`, { method: 'HEAD', headers: ip(3) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(PDF_MIN.length));
    const bot = await req(`/d/${g.token}`, { headers: { ...ip(3), 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' } });
    expect(bot.status).toBe(200);
    expect(bot.headers.get('content-type')).toContain('text/html');
    const pre = await req(`/d/${g.token}`, { headers: { ...ip(3), 'sec-purpose': 'prefetch' } });
    expect(pre.headers.get('content-type')).toContain('text/html');
    expect(await uses(g.token_id)).toBe(0);
    expect((await req(`/d/${g.token}`, { headers: ip(3) })).status).toBe(200);
    expect(await uses(g.token_id)).toBe(1);
  });

  it('Range continuations of one download count once', async () => {
    const g = await gen({ max_uses: 1 });
    const headers = { ...ip(4), 'user-agent': 'DownloadManager/1.0' };
    const first = await req(`/d/${g.token}`, { headers: { ...headers, range: 'bytes=0-9' } });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-9/${PDF_MIN.length}`);
    const rest = await req(`/d/${g.token}`, { headers: { ...headers, range: 'bytes=10-' } });
    expect(rest.status).toBe(206);
    const body = Buffer.concat([Buffer.from(await first.arrayBuffer()), Buffer.from(await rest.arrayBuffer())]);
    expect(body.equals(PDF_MIN)).toBe(true);
    expect(await uses(g.token_id)).toBe(1);
    // Another client cannot ride on that grant.
    const stranger = await req(`/d/${g.token}`, { headers: { ...ip(99), range: 'bytes=10-' } });
    expect(stranger.status).toBe(403);
  });

  it('confirmation tokens show a page on GET and download on POST', async () => {
    const g = await gen({ require_confirmation: true });
    const page = await req(`/d/${g.token}`, { headers: ip(5) });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post">');
    expect(html).not.toContain('<script');
    expect(await uses(g.token_id)).toBe(0);
    const dl = await req(`/d/${g.token}`, { method: 'POST', headers: ip(5) });
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer()).equals(PDF_MIN)).toBe(true);
    expect(await uses(g.token_id)).toBe(1);
  });

  it('visitor-bound links need the visitor id', async () => {
    const g = await gen({ visitor_id: 'cust-7' });
    expect((await req(`/d/${g.token}`, { headers: ip(6) })).status).toBe(403);
    expect((await req(`/d/${g.token}?visitor_id=cust-7`, { headers: ip(6) })).status).toBe(200);
  });

  it('refusals: 404 unknown, 403 revoked/expired, redirect when asked, and MCP reasons', async () => {
    const unknown = await req(`/d/spd_${'x'.repeat(43)}_abcdefg`, { headers: ip(7) });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('Link not found');

    const g = await gen({ max_uses: 0 });
    const rv = await call(client, 'file-downloads_revoke_token', { token: g.token });
    expect(rv.data).toMatchObject({ token_id: g.token_id, revoked: true });
    expect((await req(`/d/${g.token}`, { headers: ip(8) })).status).toBe(403);
    expect((await call(client, 'file-downloads_verify_token', { token: g.token })).error).toMatchObject({ code: 403, type: 'TOKEN_REVOKED' });

    const exp = await gen({ expires_in_minutes: 1, expiration_redirect_url: 'https://bakery.example/expired' });
    env.clock.advance(2 * 60_000);
    const redir = await req(`/d/${exp.token}`, { headers: ip(8) });
    expect(redir.status).toBe(302);
    expect(redir.headers.get('location')).toBe('https://bakery.example/expired');
    expect((await call(client, 'file-downloads_verify_token', { token: exp.token })).error).toMatchObject({ code: 403, type: 'TOKEN_EXPIRED' });

    const once = await gen();
    expect((await call(client, 'file-downloads_verify_token', { token: once.token, ip: '203.0.113.9' })).data).toMatchObject({ valid: true, use_count: 1, remaining_uses: 0, asset_url: '/files/ebook.pdf' });
    expect((await call(client, 'file-downloads_verify_token', { token: once.token })).error).toMatchObject({ code: 403, type: 'TOKEN_EXHAUSTED' });
    const bound = await gen({ visitor_id: 'a' });
    expect((await call(client, 'file-downloads_verify_token', { token: bound.token, visitor_id: 'b' })).error).toMatchObject({ code: 403, type: 'TOKEN_WRONG_VISITOR' });
    expect((await call(client, 'file-downloads_verify_token', { token: 'nope' })).error).toMatchObject({ code: 404, type: 'TOKEN_INVALID' });
  });

  it('rate-limits guesses per address; a real token still works from a blocked address', async () => {
    const g = await gen({ max_uses: 0 });
    for (let i = 0; i < 30; i++) expect((await req(`/d/${g.token}`, { headers: ip(20) })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await req(`/d/spd_guess${i}`, { headers: ip(21) })).status);
    expect(statuses.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
    expect(statuses.at(-1)).toBe(429);
    // HEAD guesses are guesses too.
    const head = await req('/d/spd_guessHEAD', { method: 'HEAD', headers: ip(21) });
    expect(head.status).toBe(429);
    expect(Number(head.headers.get('retry-after'))).toBeGreaterThan(0);
    // The buyer behind the same NAT: their real link works.
    const real = await req(`/d/${g.token}`, { headers: ip(21) });
    expect(real.status).toBe(200);
    expect((await req(`/d/${g.token}`, { headers: ip(22) })).status).toBe(200);
  });

  it('honest refusals of real tokens never block an address', async () => {
    const used = await gen({ max_uses: 1 });
    const revoked = await gen({ max_uses: 5 });
    await env.core.downloads.revoke(env.project, { token: revoked.token });
    expect((await req(`/d/${used.token}`, { headers: ip(30) })).status).toBe(200);
    // Far past the limit: an exhausted and a revoked link clicked again and again (one office NAT).
    for (let i = 0; i < 15; i++) {
      expect((await req(`/d/${used.token}`, { headers: ip(30) })).status).toBe(403);
      expect((await req(`/d/${revoked.token}`, { headers: ip(30) })).status).toBe(403);
    }
    const fresh = await gen({ max_uses: 1 });
    expect((await req(`/d/${fresh.token}`, { headers: ip(30) })).status).toBe(200);
    expect((await req('/d/spd_stillfine', { headers: ip(30) })).status).toBe(404);
  });

  it('a link whose file is missing takes no use and works again once the file is back', async () => {
    // A file of its own: other tests' links keep files/ebook.pdf in use (and so undeletable).
    const pdf = Buffer.from((await env.core.assets.get(env.project, 'files/ebook.pdf')).content, 'base64');
    await env.core.assets.upload(env.project, { slug: 'files/gone.pdf', content: pdf.toString('base64'), private: true });
    const g = await gen({ asset_url: '/files/gone.pdf', max_uses: 1 });
    // Active links keep a file from being deleted; a used-up link does not. The seller then deletes the
    // file and later gives the buyer another try (update_token): the link is active, its file is gone.
    expect((await req(`/d/${g.token}`, { headers: ip(40) })).status).toBe(200);
    await env.core.assets.delete(env.project, 'files/gone.pdf');
    expect((await call(client, 'file-downloads_update_token', { token_id: g.token_id, add_uses: 1 })).ok).toBe(true);
    try {
      const r = await req(`/d/${g.token}`, { headers: ip(40) });
      expect(r.status).toBe(404);
      expect(await r.text()).toContain('Nothing was used up');
      expect(await uses(g.token_id)).toBe(1);
      const v = await call(client, 'file-downloads_verify_token', { token: g.token });
      expect(v.ok).toBe(false);
      expect(v.error).toMatchObject({ type: 'NOT_FOUND', token_id: g.token_id });
      expect(v.error.message).toContain('no use was taken');
      expect(await uses(g.token_id)).toBe(1);
      const events = await env.core.db.kysely.selectFrom('download_events').select('outcome').where('token_id', '=', g.token_id).orderBy('id').execute();
      expect(events.map((e) => e.outcome)).toEqual(['ok', 'updated', 'NOT_FOUND', 'NOT_FOUND']);
    } finally {
      await env.core.assets.upload(env.project, { slug: 'files/gone.pdf', content: pdf.toString('base64'), private: true });
    }
    const r = await req(`/d/${g.token}`, { headers: ip(40) });
    expect(r.status).toBe(200);
    expect(await uses(g.token_id)).toBe(2);
  });
});

describe('secrets never at rest', () => {
  it('the plain token is in neither the database files nor the logs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-secret-'));
    const logs: string[] = [];
    const env = await makeEnv({ db: { dataDir: dir } });
    try {
      await setup(env);
      const pino = (await import('pino')).default;
      const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) });
      const client = await connect(env.core, { logger });
      const g = (await call<Gen>(client, 'file-downloads_generate_token', { asset_url: '/files/ebook.pdf', max_uses: 3 })).data;
      const api = await env.core.projects.issueToken({ projectId: env.project.id });
      await call(client, 'file-downloads_verify_token', { token: g.token });
      await call(client, 'file-downloads_verify_token', { token: g.token + 'x' });
      await req2(env, g.token);
      await env.core.db.kysely.selectFrom('projects').selectAll().execute();
      for (const f of readdirSync(dir)) {
        const bytes = readFileSync(path.join(dir, f));
        expect(bytes.includes(Buffer.from(g.token)), f).toBe(false);
        expect(bytes.includes(Buffer.from(api.token)), f).toBe(false);
      }
      expect(logs.join('\n')).not.toContain(g.token);
      expect(logs.length).toBeGreaterThan(0);
    } finally {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function req2(env: TestEnv, token: string): Promise<void> {
  const r = await makeApp(env)(`/d/${token}`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
  expect(r.status).toBe(200);
}

describe('verify-token is limited per credential, and only guesses count', () => {
  it('blocks a credential after too many unknown tokens, not others, never for honest refusals or by address', async () => {
    const env = await makeEnv({ rateLimit: { points: 3, windowSec: 60 } });
    try {
      await setup(env);
      const g = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', max_uses: 0 });
      const used = await env.core.downloads.generate(env.project, { asset_url: '/files/ebook.pdf', max_uses: 1 });
      await env.core.downloads.verify(env.project, { token: used.token }, 'shop');
      // Honest refusals (a used-up token, checked again and again) never count: far past any limit.
      for (let i = 0; i < 400; i++) await expect(env.core.downloads.verify(env.project, { token: used.token, ip: '203.0.113.9' }, 'shop')).rejects.toMatchObject({ type: 'TOKEN_EXHAUSTED' });
      // Guesses count per credential, generously (VERIFY_GUESS_LIMIT, not the links' per-address limit of 3 here).
      const types: string[] = [];
      for (let i = 0; i < VERIFY_GUESS_LIMIT.points + 2; i++) {
        types.push(await env.core.downloads.verify(env.project, { token: `spd_guess${i}` }, 'guesser').then(() => 'ok', (e: SitepubError) => e.type));
      }
      expect(types.slice(0, VERIFY_GUESS_LIMIT.points)).toEqual(Array(VERIFY_GUESS_LIMIT.points).fill('TOKEN_INVALID'));
      expect(types.slice(VERIFY_GUESS_LIMIT.points)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
      await expect(env.core.downloads.verify(env.project, { token: g.token }, 'guesser')).rejects.toMatchObject({ type: 'RATE_LIMITED' });
      // Another credential, from the same address, is not affected.
      await expect(env.core.downloads.verify(env.project, { token: g.token }, 'shop')).resolves.toMatchObject({ valid: true });
      env.clock.advance(61_000);
      await expect(env.core.downloads.verify(env.project, { token: g.token }, 'guesser')).resolves.toMatchObject({ valid: true });
    } finally {
      await env.close();
    }
  });

  it('over MCP and REST the key is the credential (token id), not the caller address', async () => {
    const env = await makeEnv();
    try {
      const a = await env.core.projects.issueToken({ projectId: env.project.id });
      const b = await env.core.projects.issueToken({ projectId: env.project.id });
      const actor = await env.core.projects.authenticate(a.token);
      expect(credentialOf({ actor, client: '198.51.100.7' })).toBe(`cred:${a.token_id}`);
      expect(credentialOf({ actor: await env.core.projects.authenticate(b.token), client: '198.51.100.7' })).not.toBe(credentialOf({ actor, client: '198.51.100.7' }));
      expect(credentialOf({ actor: { kind: 'local', projectId: null, scope: 'write', tokenId: null }, client: 'local' })).toBe('local');
    } finally {
      await env.close();
    }
  });
});
