import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAttempts, truncateAddress } from '../src/core/download-attempts.js';
import { searchPages } from '../src/core/page-search-report.js';
import { DIALECTS } from './dialects.js';
import { makeEnv, PDF_MIN, type TestEnv } from './helpers.js';

/** The read helpers the dashboard added to the core (page search, download attempts), on every dialect. */

describe('truncateAddress', () => {
  it('cuts IPv4 to /24 and IPv6 to /48; mapped IPv4 counts as IPv4; junk is dropped', () => {
    expect(truncateAddress('203.0.113.77')).toBe('203.0.113.0/24');
    expect(truncateAddress('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
    expect(truncateAddress('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(truncateAddress('fe80::1%eth0')).toBe('fe80::/48');
    expect(truncateAddress('not an address')).toBeNull();
    expect(truncateAddress(null)).toBeNull();
  });
});

describe.each(DIALECTS)('dashboard reads (%s)', (dialect) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv({ dialect });
  });
  afterAll(() => env.close());

  it('searchPages: slug or title, case-insensitive, LIKE wildcards literal, paged', async () => {
    const p = env.project;
    await env.core.pages.create(p, { slug: 'index.html', content: 'x', meta: { title: 'Welcome HOME' } });
    await env.core.pages.create(p, { slug: 'about.html', content: 'x', meta: { title: 'About us' } });
    await env.core.pages.create(p, { slug: 'blog/sale.html', content: 'x', meta: { title: 'Save 100%_now' } });
    const find = async (q: string) => (await searchPages(env.core.db.kysely, env.core.urls, p, { q })).pages.map((x) => x.slug);
    expect(await find('')).toEqual(['about.html', 'blog/sale.html', 'index.html']);
    expect(await find('home')).toEqual(['index.html']);
    expect(await find('BLOG/')).toEqual(['blog/sale.html']);
    expect(await find('0%_n')).toEqual(['blog/sale.html']);
    expect(await find('t_us')).toEqual([]);
    expect(await find('t%us')).toEqual([]);
    const page = await searchPages(env.core.db.kysely, env.core.urls, p, { limit: 1, offset: 1 });
    expect(page).toMatchObject({ total: 3, pages: [{ slug: 'blog/sale.html', title: 'Save 100%_now', version: 1, url: `${p.url}/blog/sale.html` }] });
  });

  it('listAttempts: newest first, filters by token, outcome (or every refusal), visitor and time; addresses cut', async () => {
    const p = env.project;
    await env.core.assets.upload(p, { slug: 'files/a.pdf', content: PDF_MIN.toString('base64'), private: true });
    const link = await env.core.downloads.generate(p, { asset_url: '/files/a.pdf', max_uses: 1 });
    await env.core.downloads.consume(link.token, { ip: '203.0.113.5', userAgent: 'UA-1', visitorId: 'v1' });
    env.clock.advance(1000);
    await expect(env.core.downloads.consume(link.token, { ip: '2001:db8:5:6::7', userAgent: 'UA-2' })).rejects.toThrow();
    env.clock.advance(1000);
    await env.core.downloads.record(p.id, null, null, 'TOKEN_INVALID', { ip: '192.0.2.1' });
    const all = await listAttempts(env.core.db.kysely, p.id);
    expect(all.total).toBe(3);
    expect(all.attempts.map((a) => a.outcome)).toEqual(['TOKEN_INVALID', 'TOKEN_EXHAUSTED', 'ok']);
    expect(all.attempts[2]).toEqual({ at: '2026-03-01T12:00:00.000Z', token_id: link.token_id, asset_url: '/files/a.pdf', outcome: 'ok', ip: '203.0.113.0/24', visitor_id: 'v1', user_agent: 'UA-1' });
    expect(all.attempts[1]!.ip).toBe('2001:db8:5::/48');
    expect(all.attempts[0]).toMatchObject({ token_id: null, asset_url: null });
    expect((await listAttempts(env.core.db.kysely, p.id, { outcome: 'refused' })).attempts.map((a) => a.outcome)).toEqual(['TOKEN_INVALID', 'TOKEN_EXHAUSTED']);
    expect((await listAttempts(env.core.db.kysely, p.id, { outcome: 'ok' })).total).toBe(1);
    expect((await listAttempts(env.core.db.kysely, p.id, { token_id: link.token_id })).total).toBe(2);
    expect((await listAttempts(env.core.db.kysely, p.id, { visitor_id: 'v1' })).total).toBe(1);
    expect((await listAttempts(env.core.db.kysely, p.id, { since: '2026-03-01T12:00:01.000Z' })).total).toBe(2);
    const paged = await listAttempts(env.core.db.kysely, p.id, { limit: 1, offset: 1 });
    expect(paged).toMatchObject({ total: 3, attempts: [{ outcome: 'TOKEN_EXHAUSTED' }] });
    await expect(listAttempts(env.core.db.kysely, p.id, { limit: 0 })).rejects.toThrow(/limit/);
    await expect(listAttempts(env.core.db.kysely, p.id, { since: 'yesterday' })).rejects.toThrow(/since/);
    // Another project's attempts are not listed.
    const other = await env.core.projects.create({ name: 'Other', subdomain: 'other' });
    expect((await listAttempts(env.core.db.kysely, other.id)).total).toBe(0);
  });
});
