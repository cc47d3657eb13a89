/**
 * Client ID Metadata Documents: the client_id is an https URL the server fetches (SSRF-safe,
 * through the test-only allow-list to a loopback https server with a certificate made in the test)
 * and checks. A public client (`none`, as claude.ai's) and a private_key_jwt client (as ChatGPT's)
 * go through the SDK client's flow; the assertion checks (aud, exp, jti replay, keys) and the
 * document checks (client_id, redirect_uris) are refused case by case.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { createPrivateKeyJwtAuth } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, pgLabel } from './dialects.js';
import { Browser, clientKeyPair, pkcePair, postForm, startDocumentServer, startOAuthServer, type DocumentServer, type OAuthTestServer } from './oauth-harness.js';

const REDIRECT = 'https://chatgpt.example.com/connector/oauth/cb';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

class CimdProvider implements OAuthClientProvider {
  readonly redirectUrl = REDIRECT;
  authorizationUrl: URL | undefined;
  private info: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = '';

  constructor(
    readonly clientMetadataUrl: string,
    readonly addClientAuthentication?: OAuthClientProvider['addClientAuthentication'],
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return { redirect_uris: [REDIRECT], client_name: 'unused: the document says' };
  }
  state(): string {
    return 'cimd-state';
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(t: OAuthTokens): void {
    this.saved = t;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }
  codeVerifier(): string {
    return this.verifier;
  }
}

describe.each(DIALECTS.map((d) => [d === 'postgres' ? pgLabel : d, d] as const))('Client ID Metadata Documents on %s', (_label, dialect) => {
  let docs: DocumentServer;
  let s: OAuthTestServer;
  let browser: Browser;
  let keys: Awaited<ReturnType<typeof clientKeyPair>>;
  let otherKeys: Awaited<ReturnType<typeof clientKeyPair>>;

  beforeAll(async () => {
    docs = await startDocumentServer();
    s = await startOAuthServer({ dialect, fetch: { allowAddresses: ['127.0.0.1'], ca: [docs.cert] } });
    browser = new Browser(s.base);
    await browser.signIn(s.core);
    keys = await clientKeyPair('chatgpt-1');
    otherKeys = await clientKeyPair('chatgpt-1');
    docs.serve('/jwks.json', { keys: [keys.publicJwk] });
  });
  afterAll(async () => {
    await s.close();
    await docs.close();
  });

  /** Publishes a metadata document at `path` whose client_id is its own URL (unless overridden). */
  function publish(path: string, doc: Record<string, unknown> = {}): string {
    const url = docs.base + path;
    docs.serve(path, { client_id: url, client_name: `Client ${path}`, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...doc });
    return url;
  }

  async function sdkFlow(provider: CimdProvider): Promise<Client> {
    const first = new StreamableHTTPClientTransport(new URL(`${s.base}/mcp`), { authProvider: provider });
    await expect(new Client({ name: 't', version: '1' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const consent = await browser.get(String(provider.authorizationUrl));
    expect(await consent.text()).toContain(`identified by its metadata at <code>${provider.clientMetadataUrl}</code>`);
    const back = await browser.consent(provider.authorizationUrl!);
    expect(back.searchParams.get('iss')).toBe(s.base);
    await first.finishAuth(back.searchParams.get('code')!);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${s.base}/mcp`), { authProvider: provider }));
    return client;
  }

  it('a public client (none, as claude.ai) connects with its URL as client_id; the document is fetched once', async () => {
    const url = publish('/claude.json');
    const provider = new CimdProvider(url);
    const client = await sdkFlow(provider);
    expect(provider.clientInformation()!.client_id).toBe(url);
    const made = await client.callTool({ name: 'pages_create', arguments: { slug: 'cimd.html', content: '<p>via CIMD</p>' } });
    expect(made.isError).toBeFalsy();
    await client.close();
    expect(docs.hits.get('/claude.json')).toBe(1);
    // Nothing is registered for it: the cached document is the client.
    const row = await s.core.db.kysely.selectFrom('oauth_clients').select(['kind', 'auth_method']).where('id', '=', url).executeTakeFirstOrThrow();
    expect(row).toEqual({ kind: 'cimd', auth_method: 'none' });
  });

  it('a private_key_jwt client (as ChatGPT) authenticates with assertions checked against its jwks_uri', async () => {
    const url = publish('/chatgpt.json', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${docs.base}/jwks.json` });
    const provider = new CimdProvider(url, createPrivateKeyJwtAuth({ issuer: url, subject: url, privateKey: keys.privatePem, alg: 'RS256' }));
    const client = await sdkFlow(provider);
    const status = await client.callTool({ name: 'project_status', arguments: {} });
    expect(status.isError).toBeFalsy();
    await client.close();
    // A refresh signs a new assertion (new jti); the keys are not fetched again.
    expect(await auth(provider, { serverUrl: `${s.base}/mcp` })).toBe('AUTHORIZED');
    expect(docs.hits.get('/jwks.json')).toBe(1);
  });

  describe('assertions', () => {
    let url: string;
    beforeAll(() => {
      url = publish('/pkj.json', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${docs.base}/jwks.json` });
    });

    const assertion = (claims: { aud?: string; exp?: number; jti?: string; iss?: string; sub?: string } = {}, key = keys.privateKey): Promise<string> => {
      const now = Math.floor(s.clock.now().getTime() / 1000);
      return new SignJWT({ jti: claims.jti ?? randomUUID() })
        .setProtectedHeader({ alg: 'RS256', kid: 'chatgpt-1' })
        .setIssuer(claims.iss ?? url)
        .setSubject(claims.sub ?? url)
        .setAudience(claims.aud ?? `${s.base}/oauth/token`)
        .setIssuedAt(now)
        .setExpirationTime(claims.exp ?? now + 300)
        .sign(key);
    };

    async function freshCode(): Promise<{ code: string; verifier: string }> {
      const { verifier, challenge } = pkcePair();
      const q = new URLSearchParams({ response_type: 'code', client_id: url, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's' });
      const back = await browser.consent(`${s.base}/oauth/authorize?${q}`);
      return { code: back.searchParams.get('code')!, verifier };
    }

    const exchange = (c: { code: string; verifier: string }, extra: Record<string, string>) =>
      postForm(`${s.base}/oauth/token`, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT, ...extra });

    it('refuses a wrong aud, an expired one, a mismatched iss/sub, another key, a missing one; accepts aud = token endpoint', async () => {
      const c = await freshCode();
      const now = Math.floor(s.clock.now().getTime() / 1000);
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ aud: 'https://elsewhere.example.com/token' }) }, /aud/],
        [{ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ exp: now - 120 }) }, /expired/],
        [{ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ sub: 'https://someone.example.com/else' }) }, /iss and sub/],
        [{ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ exp: now + 3 * 24 * 3600 }) }, /more than a day/],
        [{ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({}, otherKeys.privateKey) }, /signature/],
        [{ client_id: url }, /private_key_jwt/],
      ];
      for (const [extra, why] of cases) {
        const r = await exchange(c, extra);
        expect(r.status, JSON.stringify(r.body)).toBe(401);
        expect(r.body.error).toBe('invalid_client');
        expect(String(r.body.error_description)).toMatch(why);
      }
      const ok = await exchange(c, { client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ aud: `${s.base}/oauth/token` }) });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    });

    it('an assertion works once: a replayed jti is refused', async () => {
      const signed = await assertion({ aud: s.base });
      const first = await exchange(await freshCode(), { client_assertion_type: ASSERTION_TYPE, client_assertion: signed });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const replay = await postForm(`${s.base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token), client_assertion_type: ASSERTION_TYPE, client_assertion: signed });
      expect(replay.status).toBe(401);
      expect(String(replay.body.error_description)).toMatch(/jti was used before/);
    });
  });

  describe('documents that are refused (a page, never a redirect)', () => {
    it.each([
      ['its client_id is another URL', '/mismatch.json', { client_id: 'https://claude.example.com/oauth/client.json' }, /not the URL it was fetched from/],
      ['it does not list the redirect_uri', '/other-redirect.json', { redirect_uris: ['https://elsewhere.example.com/cb'] }, /did not register/],
      ['it wants a shared secret', '/secret.json', { token_endpoint_auth_method: 'client_secret_post' }, /none or private_key_jwt/],
      ['its redirect URI is javascript:', '/js.json', { redirect_uris: ['javascript:alert(1)', REDIRECT] }, /never a redirect target/],
    ])('%s', async (_what, path, doc, why) => {
      const url = publish(path, doc);
      const q = new URLSearchParams({ response_type: 'code', client_id: url, redirect_uri: REDIRECT, code_challenge: pkcePair().challenge, code_challenge_method: 'S256', state: 's' });
      const r = await browser.get(`${s.base}/oauth/authorize?${q}`);
      expect(r.status).toBe(400);
      expect(r.headers.get('location')).toBeNull();
      expect((await r.text()).replace(/&quot;/g, '"')).toMatch(why);
    });

    it('a document that does not exist (the failure is remembered: not fetched again at once)', async () => {
      const q = new URLSearchParams({ response_type: 'code', client_id: `${docs.base}/missing.json`, redirect_uri: REDIRECT, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
      for (let i = 0; i < 2; i++) {
        const r = await browser.get(`${s.base}/oauth/authorize?${q}`);
        expect(r.status).toBe(400);
        expect(await r.text()).toContain('HTTP 404');
      }
      expect(docs.hits.get('/missing.json')).toBe(1);
    });

    it('without the test allow-list, a loopback document is never fetched', async () => {
      const strict = await startOAuthServer({ dialect, fetch: { ca: [docs.cert] } });
      try {
        const b = new Browser(strict.base);
        await b.signIn(strict.core);
        const before = docs.hits.get('/claude.json');
        const q = new URLSearchParams({ response_type: 'code', client_id: `${docs.base}/claude.json`, redirect_uri: REDIRECT, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
        const r = await b.get(`${strict.base}/oauth/authorize?${q}`);
        expect(r.status).toBe(400);
        expect(await r.text()).toContain('not a public internet address');
        expect(docs.hits.get('/claude.json')).toBe(before);
        // At the token endpoint the same client is invalid_client.
        const t = await postForm(`${strict.base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: 'spr_x', client_id: `${docs.base}/claude.json` });
        expect(t.status).toBe(401);
        expect(t.body.error).toBe('invalid_client');
      } finally {
        await strict.close();
      }
    });
  });
});
