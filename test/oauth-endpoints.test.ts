/**
 * The authorization server's edges, case by case, over a real loopback listener: discovery
 * documents, the 401/403 challenges of /mcp, registration rules, the authorization endpoint's
 * refusals (pages, never redirects, for an unknown client or redirect URI), consent (CSRF,
 * framing), the token endpoint's RFC 6749 errors (PKCE, code reuse, redirect_uri, resource),
 * revocation, expiry, step-up, REST with OAuth tokens. Storage cases run on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, pgLabel } from './dialects.js';
import { Browser, pkcePair, postForm, postJson, startOAuthServer, type OAuthTestServer } from './oauth-harness.js';

const REDIRECT = 'https://app.example.com/callback';
const label = (d: string): string => (d === 'postgres' ? pgLabel : d);

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
const call = (name: string, args: Record<string, unknown> = {}): string => JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } });
const mcp = (base: string, body: string, token?: string, path = '/mcp'): Promise<Response> =>
  fetch(base + path, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body,
  });

describe.each(DIALECTS.map((d) => [label(d), d] as const))('OAuth endpoints on %s', (_label, dialect) => {
  let s: OAuthTestServer;
  let browser: Browser;

  beforeEach(async () => {
    s = await startOAuthServer({ dialect });
    browser = new Browser(s.base);
    await browser.signIn(s.core);
  });
  afterEach(async () => {
    await s.close();
  });

  async function register(body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const r = await postJson(`${s.base}/oauth/register`, { client_name: 'Manual', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  }

  function authorizeUrl(clientId: string, over: Record<string, string | undefined> = {}): string {
    const q: Record<string, string> = {};
    const all = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkcePair().challenge, code_challenge_method: 'S256', state: 'xyz', resource: `${s.base}/mcp`, ...over };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) q[k] = v;
    return `${s.base}/oauth/authorize?${new URLSearchParams(q)}`;
  }

  /** A code for a fresh public client: its id, the code, the verifier. */
  async function code(over: Record<string, string> = {}, clientBody: Record<string, unknown> = {}): Promise<{ clientId: string; code: string; verifier: string; redirect: string }> {
    const client = await register(clientBody);
    const { verifier, challenge } = pkcePair();
    const back = await browser.consent(authorizeUrl(String(client.client_id), { code_challenge: challenge, ...over }));
    expect(back.searchParams.get('error')).toBeNull();
    return { clientId: String(client.client_id), code: back.searchParams.get('code')!, verifier, redirect: over.redirect_uri ?? REDIRECT };
  }

  const exchange = (c: { clientId: string; code: string; verifier: string; redirect: string }, over: Record<string, string | undefined> = {}) => {
    const f: Record<string, string> = {};
    const all = { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: c.redirect, client_id: c.clientId, resource: `${s.base}/mcp`, ...over };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) f[k] = v;
    return postForm(`${s.base}/oauth/token`, f);
  };

  async function accessToken(over: Record<string, string> = {}): Promise<{ access_token: string; refresh_token: string; clientId: string }> {
    const c = await code(over);
    const r = await exchange(c);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return { access_token: String(r.body.access_token), refresh_token: String(r.body.refresh_token), clientId: c.clientId };
  }

  describe('discovery', () => {
    it('serves protected resource metadata at both well-known paths', async () => {
      for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
        const r = await fetch(s.base + path);
        expect(r.status).toBe(200);
        expect(await r.json()).toEqual({
          resource: `${s.base}/mcp`,
          authorization_servers: [s.base],
          scopes_supported: ['sitepub:read', 'sitepub:write'],
          bearer_methods_supported: ['header'],
          resource_name: 'sitepub',
        });
      }
    });

    it('serves authorization server metadata (also as openid-configuration) with every field', async () => {
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const m = (await (await fetch(s.base + path)).json()) as Record<string, unknown>;
        expect(m).toMatchObject({
          issuer: s.base,
          authorization_endpoint: `${s.base}/oauth/authorize`,
          token_endpoint: `${s.base}/oauth/token`,
          registration_endpoint: `${s.base}/oauth/register`,
          revocation_endpoint: `${s.base}/oauth/revoke`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          client_id_metadata_document_supported: true,
          authorization_response_iss_parameter_supported: true,
          scopes_supported: ['sitepub:read', 'sitepub:write'],
        });
        expect(m.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'private_key_jwt']));
      }
    });
  });

  describe('/mcp challenges', () => {
    it('401 without credentials starts discovery; a bad token adds invalid_token', async () => {
      const none = await mcp(s.base, LIST);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${s.base}/.well-known/oauth-protected-resource/mcp", scope="sitepub:read sitepub:write"`);
      for (const bad of ['spo_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'garbage']) {
        const r = await mcp(s.base, LIST, bad);
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe(
          `Bearer resource_metadata="${s.base}/.well-known/oauth-protected-resource/mcp", scope="sitepub:read sitepub:write", error="invalid_token"`,
        );
      }
    });

    it('/mcp/token takes API tokens only and advertises no OAuth', async () => {
      const none = await mcp(s.base, LIST, undefined, '/mcp/token');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="sitepub"');
      const { access_token } = await accessToken();
      const oauth = await mcp(s.base, LIST, access_token, '/mcp/token');
      expect(oauth.status).toBe(401);
      expect(oauth.headers.get('www-authenticate')).toBe('Bearer realm="sitepub", error="invalid_token"');
      const api = await s.core.projects.issueToken({ projectId: s.project.id });
      expect((await mcp(s.base, LIST, api.token, '/mcp/token')).status).toBe(200);
      expect((await mcp(s.base, LIST, api.token)).status).toBe(200);
      expect((await mcp(s.base, LIST, access_token)).status).toBe(200);
    });

    it('a read-only token calling a write tool gets 403 insufficient_scope before dispatch; reads work', async () => {
      const { access_token } = await accessToken({ scope: 'sitepub:read' });
      const write = await mcp(s.base, call('pages_create', { slug: 'x.html', content: 'x' }), access_token);
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="sitepub:write"/);
      expect(((await write.json()) as { error: { message: string } }).error.message).toContain('sitepub:write');
      expect(await s.core.db.kysely.selectFrom('pages').select('slug').execute()).toEqual([]);
      const batch = await mcp(s.base, JSON.stringify([JSON.parse(call('pages_list')), JSON.parse(call('pages_delete', { slug: 'a.html' }))]), access_token);
      expect(batch.status).toBe(403);
      // The rollback button of the page-preview view calls an app-only write tool: the same step-up.
      const fromView = await mcp(s.base, call('apps_page_rollback', { slug: 'a.html', version: 1 }), access_token);
      expect(fromView.status).toBe(403);
      expect(fromView.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="sitepub:write"/);
      const read = await mcp(s.base, call('pages_list'), access_token);
      expect(read.status).toBe(200);
      expect(JSON.stringify(await read.json())).not.toContain('isError":true');
      // A read-only API token on the header-only URL: the same refusal, without OAuth in it.
      const ro = await s.core.projects.issueToken({ projectId: s.project.id, scope: 'read' });
      const apiWrite = await mcp(s.base, call('pages_create', { slug: 'x.html', content: 'x' }), ro.token, '/mcp/token');
      expect(apiWrite.status).toBe(403);
      expect(apiWrite.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="sitepub:write"');
    });

    it('an access token expires after an hour, cached or not', async () => {
      const { access_token } = await accessToken();
      expect((await mcp(s.base, LIST, access_token)).status).toBe(200);
      s.clock.advance(3600_000 + 1);
      const r = await mcp(s.base, LIST, access_token);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });
  });

  describe('REST', () => {
    it('accepts OAuth access tokens for the granted project only', async () => {
      const { access_token } = await accessToken();
      const auth = { authorization: `Bearer ${access_token}` };
      const ok = await fetch(`${s.base}/papi/project/${s.project.id}/pages`, { headers: auth });
      expect(ok.status).toBe(200);
      const other = await s.core.projects.create({ name: 'Other', subdomain: 'other' });
      expect((await fetch(`${s.base}/papi/project/${other.id}/pages`, { headers: auth })).status).toBe(401);
      expect((await fetch(`${s.base}/papi/projects`, { headers: auth })).status).toBe(403);
    });
  });

  describe('registration', () => {
    it.each([
      ['javascript:alert(1)'],
      ['data:text/html,hi'],
      ['https://app.example.com/cb#frag'],
      ['http://app.example.com/cb'],
      ['https://user:pw@app.example.com/cb'],
      ['/relative/cb'],
      ['file:///etc/passwd'],
    ])('refuses the redirect URI %s', async (uri) => {
      const r = await postJson(`${s.base}/oauth/register`, { redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_redirect_uri');
      expect(r.headers.get('cache-control')).toBe('no-store');
    });

    it('accepts https, loopback http on any port and private-use schemes', async () => {
      const uris = ['https://chatgpt.com/connector/oauth/abc', 'http://127.0.0.1:33418/callback', 'http://localhost/cb', 'http://[::1]:8080/cb', 'cursor://anysphere.cursor-retrieval/oauth/callback', 'vscode://vscode.github-authentication/did-authenticate'];
      const r = await register({ redirect_uris: uris, client_name: 'IDE' });
      expect(r.redirect_uris).toEqual(uris);
      expect(r.token_endpoint_auth_method).toBe('none');
      expect(r.client_secret).toBeUndefined();
      expect(r.registration_client_uri).toBe(`${s.base}/oauth/register/${String(r.client_id)}`);
      const shown = (await (await fetch(String(r.registration_client_uri))).json()) as Record<string, unknown>;
      expect(shown.client_id).toBe(r.client_id);
      expect(shown.client_secret).toBeUndefined();
    });

    it('without token_endpoint_auth_method issues a secret (client_secret_basic), checked at the token endpoint', async () => {
      const client = await register({ token_endpoint_auth_method: undefined });
      expect(client.token_endpoint_auth_method).toBe('client_secret_basic');
      expect(client.client_secret).toMatch(/^spk_/);
      const row = await s.core.db.kysely.selectFrom('oauth_clients').selectAll().where('id', '=', String(client.client_id)).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(String(client.client_secret));
      const { verifier, challenge } = pkcePair();
      const back = await browser.consent(authorizeUrl(String(client.client_id), { code_challenge: challenge }));
      const form = { grant_type: 'authorization_code', code: back.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT };
      const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });
      const wrong = await postForm(`${s.base}/oauth/token`, form, basic(String(client.client_id), 'spk_wrong'));
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
      expect(wrong.headers.get('www-authenticate')).toContain('Basic');
      const ok = await postForm(`${s.base}/oauth/token`, form, basic(String(client.client_id), String(client.client_secret)));
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    });

    it('unused registrations expire after a day; used ones stay', async () => {
      const unused = await register();
      const used = await accessToken();
      s.clock.advance(25 * 3600_000);
      await register(); // housekeeping runs with registrations and exchanges, at most hourly
      expect((await fetch(`${s.base}/oauth/register/${String(unused.client_id)}`)).status).toBe(401);
      expect((await fetch(`${s.base}/oauth/register/${used.clientId}`)).status).toBe(200);
    });
  });

  describe('authorization endpoint', () => {
    it('an unknown client or an unregistered redirect URI gets a page, never a redirect', async () => {
      const client = await register();
      for (const url of [
        authorizeUrl('cli_doesnotexist00'),
        authorizeUrl(String(client.client_id), { redirect_uri: 'https://evil.example.net/cb' }),
        authorizeUrl(String(client.client_id), { redirect_uri: `${REDIRECT}/more` }),
        authorizeUrl(''),
      ]) {
        const r = await browser.get(url);
        expect(r.status, url).toBe(400);
        expect(r.headers.get('location')).toBeNull();
        expect(r.headers.get('content-type')).toContain('text/html');
        expect(await r.text()).not.toContain('evil.example.net');
      }
    });

    it('refuses at the redirect URI, with state and iss: no PKCE, plain PKCE, wrong resource, wrong response_type', async () => {
      const client = await register();
      const cases: Array<[Record<string, string | undefined>, string]> = [
        [{ code_challenge: undefined }, 'invalid_request'],
        [{ code_challenge_method: 'plain' }, 'invalid_request'],
        [{ code_challenge_method: undefined }, 'invalid_request'],
        [{ resource: 'https://elsewhere.example.com/mcp' }, 'invalid_target'],
        [{ response_type: 'token' }, 'unsupported_response_type'],
      ];
      for (const [over, error] of cases) {
        const r = await browser.get(authorizeUrl(String(client.client_id), over));
        expect(r.status).toBe(302);
        const to = new URL(r.headers.get('location')!);
        expect(to.origin + to.pathname).toBe(REDIRECT);
        expect(to.searchParams.get('error')).toBe(error);
        expect(to.searchParams.get('state')).toBe('xyz');
        expect(to.searchParams.get('iss')).toBe(s.base);
      }
    });

    it('sends an owner who is not signed in to the sign-in page, and back', async () => {
      const client = await register();
      const stranger = new Browser(s.base);
      const r = await stranger.get(authorizeUrl(String(client.client_id)));
      expect(r.status).toBe(302);
      const to = new URL(r.headers.get('location')!, s.base);
      expect(to.pathname).toBe('/login');
      expect(to.searchParams.get('next')).toMatch(/^\/oauth\/authorize\?/);
      await stranger.signIn(s.core);
      const back = await stranger.get(to.searchParams.get('next')!);
      expect(back.status).toBe(200);
      expect(await back.text()).toContain('name="project_id"');
    });

    it('the consent page names the app, its redirect host and the scopes, and cannot be framed', async () => {
      const client = await register({ client_name: 'Claude <b>' });
      const r = await browser.get(authorizeUrl(String(client.client_id), { scope: 'sitepub:read' }));
      expect(r.status).toBe(200);
      const html = await r.text();
      expect(html).toContain('Claude &lt;b&gt;');
      expect(html).toContain('app.example.com');
      expect(html).toContain('(no changes)');
      expect(html).toContain('<select id="project_id" name="project_id">');
      expect(html).toContain('name="decision" value="approve"');
      expect(html).toContain('name="decision" value="deny"');
      expect(html).not.toMatch(/<script/i);
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(r.headers.get('content-security-policy')).not.toContain('script-src');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('cache-control')).toBe('no-store');
    });

    it('a consent POST without the session CSRF token is refused (no redirect)', async () => {
      const client = await register();
      const page = await browser.get(authorizeUrl(String(client.client_id)));
      const html = await page.text();
      const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
      for (const csrf of [undefined, 'forged']) {
        const { csrf: _c, ...rest } = fields;
        const r = await browser.postForm('/oauth/authorize', { ...rest, ...(csrf ? { csrf } : {}), decision: 'approve', project_id: s.project.id });
        expect(r.status).toBe(403);
        expect(r.headers.get('location')).toBeNull();
      }
      expect(await s.core.db.kysely.selectFrom('oauth_codes').select('code_hash').execute()).toEqual([]);
    });

    it('deny sends access_denied with state and iss; a project the owner cannot grant is refused', async () => {
      const client = await register();
      const denied = await browser.consent(authorizeUrl(String(client.client_id)), 'deny');
      expect(denied.searchParams.get('error')).toBe('access_denied');
      expect(denied.searchParams.get('state')).toBe('xyz');
      expect(denied.searchParams.get('iss')).toBe(s.base);
      await expect(browser.consent(authorizeUrl(String(client.client_id)), 'approve', 'prj_notmine')).rejects.toThrow(/HTTP 400/);
    });

    it('a loopback redirect URI may come back on another port (RFC 8252); the code is bound to that one', async () => {
      const c = await code({ redirect_uri: 'http://127.0.0.1:51234/cb' }, { redirect_uris: ['http://127.0.0.1:40000/cb'] });
      expect((await exchange({ ...c, redirect: 'http://127.0.0.1:40000/cb' })).body.error).toBe('invalid_grant');
      expect((await exchange(c)).status).toBe(200);
    });
  });

  describe('token endpoint', () => {
    it('PKCE: a missing verifier is invalid_request, a wrong one invalid_grant (and does not burn the code)', async () => {
      const c = await code();
      const missing = await exchange(c, { code_verifier: undefined });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
      const wrong = await exchange(c, { code_verifier: pkcePair().verifier });
      expect(wrong.body.error).toBe('invalid_grant');
      expect(wrong.headers.get('cache-control')).toBe('no-store');
      const ok = await exchange(c);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('cache-control')).toBe('no-store');
      expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'sitepub:read sitepub:write' });
    });

    it('a code used twice is refused, and the tokens it gave are revoked', async () => {
      const c = await code();
      const first = await exchange(c);
      expect(first.status).toBe(200);
      expect((await mcp(s.base, LIST, String(first.body.access_token))).status).toBe(200);
      const again = await exchange(c);
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
      expect((await mcp(s.base, LIST, String(first.body.access_token))).status).toBe(401);
    });

    it('wrong redirect_uri, wrong resource, another client, an expired code', async () => {
      const c = await code();
      expect((await exchange(c, { redirect_uri: 'https://app.example.com/other' })).body.error).toBe('invalid_grant');
      expect((await exchange(c, { resource: 'https://elsewhere.example.com/mcp' })).body.error).toBe('invalid_target');
      const other = await register();
      expect((await exchange(c, { client_id: String(other.client_id) })).body.error).toBe('invalid_grant');
      expect((await exchange(c)).status).toBe(200);
      const late = await code();
      s.clock.advance(61_000);
      expect((await exchange(late)).body.error).toBe('invalid_grant');
    });

    it('an unknown client is 401 invalid_client (claude.ai registers again on it)', async () => {
      const c = await code();
      const r = await exchange(c, { client_id: 'cli_unknown0000000' });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    });

    it('grant types, body type and repeated parameters', async () => {
      expect((await postForm(`${s.base}/oauth/token`, { grant_type: 'password', client_id: 'x' })).body.error).toBe('unsupported_grant_type');
      expect((await postForm(`${s.base}/oauth/token`, { client_id: 'x' })).body.error).toBe('invalid_request');
      const json = await fetch(`${s.base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"refresh_token"}' });
      expect(json.status).toBe(400);
      expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
      const twice = await fetch(`${s.base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=a&refresh_token=b' });
      expect(((await twice.json()) as { error: string }).error).toBe('invalid_request');
    });

    it('refresh cannot widen a read-only grant', async () => {
      const t = await accessToken({ scope: 'sitepub:read' });
      const r = await postForm(`${s.base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: t.clientId, scope: 'sitepub:write' });
      expect(r.body.error).toBe('invalid_scope');
      const ok = await postForm(`${s.base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: t.clientId });
      expect(ok.body.scope).toBe('sitepub:read');
    });
  });

  describe('revocation (RFC 7009)', () => {
    it('a revoked access token is 401 invalid_token at once; other clients cannot revoke it', async () => {
      const t = await accessToken();
      const other = await register();
      expect((await postForm(`${s.base}/oauth/revoke`, { token: t.access_token, client_id: String(other.client_id) })).status).toBe(200);
      expect((await mcp(s.base, LIST, t.access_token)).status).toBe(200);
      const r = await postForm(`${s.base}/oauth/revoke`, { token: t.access_token, token_type_hint: 'access_token', client_id: t.clientId });
      expect(r.status).toBe(200);
      const after = await mcp(s.base, LIST, t.access_token);
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
      // The refresh token still works: revoking an access token ends that token only.
      const refreshed = await postForm(`${s.base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: t.clientId });
      expect(refreshed.status).toBe(200);
    });

    it('revoking a refresh token ends the grant; unknown tokens are answered 200', async () => {
      const t = await accessToken();
      expect((await postForm(`${s.base}/oauth/revoke`, { token: t.refresh_token, client_id: t.clientId })).status).toBe(200);
      expect((await mcp(s.base, LIST, t.access_token)).status).toBe(401);
      expect((await postForm(`${s.base}/oauth/revoke`, { token: 'spr_nothing', client_id: t.clientId })).status).toBe(200);
      expect((await postForm(`${s.base}/oauth/revoke`, { token: t.refresh_token, client_id: 'cli_unknown0000000' })).status).toBe(401);
    });
  });
});

describe('registration rate limit', () => {
  it('refuses a flood of registrations from one address with 429 and Retry-After', async () => {
    const s = await startOAuthServer({ rateLimitPoints: 3 });
    try {
      const body = { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' };
      for (let i = 0; i < 3; i++) expect((await postJson(`${s.base}/oauth/register`, body)).status).toBe(201);
      const r = await postJson(`${s.base}/oauth/register`, body);
      expect(r.status).toBe(429);
      expect(r.body.error).toBe('temporarily_unavailable');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});
