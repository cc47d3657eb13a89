import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, DUMMY_HASH, hashParams, hashPassword, verifyPassword } from '../src/core/owners/password.js';
import { safeNext } from '../src/http/owner-auth.js';
import { DIALECTS } from './dialects.js';
import { makeApp, makeEnv, rejection, type TestEnv } from './helpers.js';

/** The cookies a response sets, by name (value only). */
function setCookies(r: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of r.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const i = pair!.indexOf('=');
    out[pair!.slice(0, i)] = pair!.slice(i + 1);
  }
  return out;
}
const cookieHeader = (jar: Record<string, string>): string => Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
const hiddenValue = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

describe('owner passwords', () => {
  it('are salted scrypt hashes with their parameters; the dummy hash has the defaults', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$')).toBe(true);
    expect(a).not.toContain('correct');
    expect(hashParams(a)).toEqual(DEFAULT_SCRYPT);
    expect(hashParams(DUMMY_HASH)).toEqual(DEFAULT_SCRYPT);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
  });
});

describe.each(DIALECTS)('owners and sessions (%s)', (dialect) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv({ dialect });
  });
  afterAll(() => env.close());

  it('create: normalized unique email, password rules', async () => {
    const o = await env.core.owners.create({ email: '  Ana@Example.COM ', password: 'long enough' });
    expect(o).toMatchObject({ email: 'ana@example.com', has_password: true });
    expect((await rejection(env.core.owners.create({ email: 'ana@example.com' }))).type).toBe('ALREADY_EXISTS');
    expect((await rejection(env.core.owners.create({ email: 'nobody' }))).type).toBe('VALIDATION_ERROR');
    expect((await rejection(env.core.owners.create({ email: 'b@example.com', password: 'short' }))).type).toBe('VALIDATION_ERROR');
    const row = await env.core.db.kysely.selectFrom('owners').select('password_hash').where('id', '=', o.id).executeTakeFirstOrThrow();
    expect(row.password_hash).not.toContain('long enough');
  });

  it('sign-in: a right password makes a session stored only by hash; a wrong one is UNAUTHORIZED; many are RATE_LIMITED', async () => {
    const s = await env.core.owners.signIn({ email: 'ANA@example.com', password: 'long enough', ip: '203.0.113.9' });
    expect(s.secret).toMatch(/^sps_/);
    const stored = await env.core.db.kysely.selectFrom('owner_sessions').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(s.secret);
    expect((await env.core.owners.session(s.secret))?.email).toBe('ana@example.com');
    expect((await rejection(env.core.owners.signIn({ email: 'ana@example.com', password: 'wrong password', ip: '203.0.113.9' }))).type).toBe('UNAUTHORIZED');
    expect((await rejection(env.core.owners.signIn({ email: 'ghost@example.com', password: 'whatever1', ip: '203.0.113.9' }))).type).toBe('UNAUTHORIZED');
    // Ten failures for one email block that email from every address, even with the right password.
    let last;
    for (let i = 0; i < 10; i++) last = await rejection(env.core.owners.signIn({ email: 'ana@example.com', password: `wrong ${i}xx`, ip: `198.51.100.${i}` }));
    expect(last!.type).toBe('RATE_LIMITED');
    const blocked = await rejection(env.core.owners.signIn({ email: 'ana@example.com', password: 'long enough', ip: '192.0.2.1' }));
    expect(blocked.type).toBe('RATE_LIMITED');
    expect(blocked.toBody().retry_after).toBeGreaterThan(0);
    env.clock.advance(61_000);
    expect((await env.core.owners.signIn({ email: 'ana@example.com', password: 'long enough', ip: '192.0.2.1' })).ownerId).toBeTruthy();
    await env.core.owners.signOut(s.sessionId);
    expect(await env.core.owners.session(s.secret)).toBeUndefined();
  });

  it('sign-in links work once, for 15 minutes; sessions expire when idle', async () => {
    const link = await env.core.owners.loginLink('ana@example.com');
    const token = link.url.split('/login/link/')[1]!;
    const racing = await Promise.allSettled([env.core.owners.signInWithLink(token), env.core.owners.signInWithLink(token)]);
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await rejection(env.core.owners.signInWithLink(token))).type).toBe('TOKEN_EXHAUSTED');
    const late = (await env.core.owners.loginLink('ana@example.com')).url.split('/login/link/')[1]!;
    env.clock.advance(15 * 60_000 + 1);
    expect((await rejection(env.core.owners.signInWithLink(late))).type).toBe('TOKEN_EXPIRED');
    expect((await rejection(env.core.owners.signInWithLink('spl_nope'))).type).toBe('TOKEN_INVALID');
    expect((await rejection(env.core.owners.loginLink('ghost@example.com'))).type).toBe('NOT_FOUND');

    const s = await env.core.owners.signInWithLink((await env.core.owners.loginLink('ana@example.com')).url.split('/login/link/')[1]!);
    env.clock.advance(6 * 24 * 3600_000);
    expect(await env.core.owners.session(s.secret)).toBeDefined();
    env.clock.advance(6 * 24 * 3600_000);
    expect(await env.core.owners.session(s.secret)).toBeDefined();
    env.clock.advance(7 * 24 * 3600_000 + 1);
    expect(await env.core.owners.session(s.secret)).toBeUndefined();
  });
});

describe('sign-in pages', () => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  beforeAll(async () => {
    env = await makeEnv();
    req = makeApp(env);
    await env.core.owners.create({ email: 'owner@example.com', password: 'open sesame' });
  });
  afterAll(() => env.close());

  async function loginPage(next = '') {
    const r = await req(`/login${next}`);
    const html = await r.text();
    return { r, html, jar: setCookies(r) };
  }

  it('GET / without a session shows the sign-in form, framing and scripts forbidden', async () => {
    const r = await req('/');
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('name="email"');
    expect(html).toContain('name="password"');
    expect(html).not.toContain('<script');
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('signs in with a password, lands on next, the home lists projects, and signs out with CSRF', async () => {
    const { html, jar } = await loginPage('?next=%2F%3Fx%3D1');
    const csrf = hiddenValue(html, 'csrf');
    expect(csrf).toBeTruthy();
    const body = new URLSearchParams({ email: 'Owner@Example.com', password: 'open sesame', csrf, next: hiddenValue(html, 'next') });
    const r = await req('/login', { method: 'POST', body, headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/?x=1');
    const set = r.headers.getSetCookie().find((l) => l.startsWith('sitepub_session='))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).not.toMatch(/Secure/i); // the public URL is http here
    const session = setCookies(r).sitepub_session!;

    const home = await req('/', { headers: { cookie: `sitepub_session=${session}` } });
    const homeHtml = await home.text();
    expect(homeHtml).toContain('owner@example.com');
    expect(homeHtml).toContain(env.project.url);
    expect(homeHtml).toContain('http://127.0.0.1:8787/mcp');

    // Signed in, /login goes on to next.
    const again = await req('/login?next=/x', { headers: { cookie: `sitepub_session=${session}` } });
    expect(again.headers.get('location')).toBe('/x');

    // Sign-out without the CSRF token is refused and the session lives on.
    const noCsrf = await req('/logout', { method: 'POST', body: new URLSearchParams({}), headers: { cookie: `sitepub_session=${session}`, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(noCsrf.status).toBe(403);
    expect((await req('/', { headers: { cookie: `sitepub_session=${session}` } })).status).toBe(200);
    expect(await env.core.owners.session(session)).toBeDefined();

    const out = await req('/logout', { method: 'POST', body: new URLSearchParams({ csrf: hiddenValue(homeHtml, 'csrf') }), headers: { cookie: `sitepub_session=${session}`, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(out.status).toBe(302);
    expect(await env.core.owners.session(session)).toBeUndefined();
  });

  it('refuses a sign-in without the form token (login CSRF) and with a wrong password', async () => {
    const { html, jar } = await loginPage();
    const form = { email: 'owner@example.com', password: 'open sesame' };
    let r = await req('/login', { method: 'POST', body: new URLSearchParams(form), headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(403);
    expect(r.headers.getSetCookie().some((l) => l.startsWith('sitepub_session='))).toBe(false);
    r = await req('/login', { method: 'POST', body: new URLSearchParams({ ...form, password: 'not it at all', csrf: hiddenValue(html, 'csrf') }), headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(401);
    expect(await r.text()).toContain('Email or password is wrong.');
  });

  it('a sign-in link signs the browser in once and redirects to the dashboard; never to another site', async () => {
    const link = await env.core.owners.loginLink('owner@example.com');
    const path = new URL(link.url).pathname;
    const r = await req(path);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const session = setCookies(r).sitepub_session!;
    expect(await env.core.owners.session(session)).toBeDefined();
    const used = await req(path);
    expect(used.status).toBe(410);
    expect(await used.text()).toContain('already been used');
    expect((await req('/login/link/garbage')).status).toBe(400);
    expect(safeNext('//evil.example/x')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('javascript:alert(1)')).toBe('/');
    expect(safeNext('/a\r\nSet-Cookie: x=1')).toBe('/');
    expect(safeNext('/dashboard?x=1')).toBe('/dashboard?x=1');
  });
});
