/**
 * The whole OAuth flow as a remote MCP client runs it, through the real SDK client's OAuth
 * support: discovery from the 401 of /mcp, registration (DCR), the owner's sign-in and consent
 * (driven over HTTP by an in-test browser), the code exchange, and a page created with the token.
 * On SQLite and PostgreSQL.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenHash } from '../src/core/ids.js';
import { DIALECTS, pgLabel } from './dialects.js';
import { Browser, startOAuthServer, type OAuthTestServer } from './oauth-harness.js';

/** An MCP client's OAuth state, in memory; the authorization URL it would open is kept for the test's browser. */
class TestProvider implements OAuthClientProvider {
  readonly redirectUrl = 'http://127.0.0.1:45999/callback';
  authorizationUrl: URL | undefined;
  private info: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = '';
  readonly sentState = `st-${Math.random().toString(36).slice(2)}`;

  constructor(private readonly method: 'none' | 'client_secret_post' | 'client_secret_basic' = 'none') {}

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'Test Assistant', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: this.method };
  }
  state(): string {
    return this.sentState;
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
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
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

const label = (d: string): string => (d === 'postgres' ? pgLabel : d);

describe.each(DIALECTS.map((d) => [label(d), d] as const))('OAuth with the SDK client on %s', (_label, dialect) => {
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

  /** Connects with the provider: the first attempt redirects to consent, the browser approves, the code is exchanged. */
  async function authorize(provider: TestProvider): Promise<URL> {
    const first = new StreamableHTTPClientTransport(new URL(`${s.base}/mcp`), { authProvider: provider });
    await expect(new Client({ name: 'test', version: '1' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl).toBeDefined();
    const back = await browser.consent(provider.authorizationUrl!);
    await first.finishAuth(back.searchParams.get('code')!);
    return back;
  }

  async function connected(provider: TestProvider): Promise<Client> {
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${s.base}/mcp`), { authProvider: provider }));
    return client;
  }

  it('discovers, registers, signs in, consents, and builds a page with the token', async () => {
    const provider = new TestProvider();
    const back = await authorize(provider);

    // What the client sent and what came back to its redirect_uri.
    const asked = provider.authorizationUrl!;
    expect(asked.origin + asked.pathname).toBe(`${s.base}/oauth/authorize`);
    expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
    expect(asked.searchParams.get('resource')).toBe(`${s.base}/mcp`);
    expect(asked.searchParams.get('scope')).toBe('sitepub:read sitepub:write');
    expect(back.origin + back.pathname).toBe(provider.redirectUrl);
    expect(back.searchParams.get('state')).toBe(provider.sentState);
    expect(back.searchParams.get('iss')).toBe(s.base);

    const tokens = provider.tokens()!;
    expect(tokens.access_token).toMatch(/^spo_[A-Za-z0-9_-]{43}$/);
    expect(tokens.refresh_token).toMatch(/^spr_[A-Za-z0-9_-]{43}$/);
    expect(tokens.scope).toBe('sitepub:read sitepub:write');

    const client = await connected(provider);
    const made = await client.callTool({ name: 'pages_create', arguments: { slug: 'hello.html', content: '<h1>Hello from OAuth</h1>' } });
    expect(made.isError).toBeFalsy();
    const page = await s.core.pages.get(s.project, 'hello.html');
    expect(page.content).toBe('<h1>Hello from OAuth</h1>');
    await client.close();

    // Tokens are stored only as hashes.
    const rows = await s.core.db.kysely.selectFrom('oauth_tokens').select('token_hash').execute();
    const stored = rows.map((r) => r.token_hash);
    expect(stored).toContain(tokenHash(tokens.access_token));
    expect(stored).not.toContain(tokens.access_token);
    expect(JSON.stringify(await s.core.db.kysely.selectFrom('oauth_clients').selectAll().execute())).not.toContain(tokens.access_token);

    // The dashboard's view: one connected app on the project.
    const grants = await s.core.oauth.grantsOf(s.project.id);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ client_name: 'Test Assistant', scope: 'sitepub:read sitepub:write' });
  });

  it('refreshes (rotation), and a refresh token used twice revokes the whole grant', async () => {
    const provider = new TestProvider();
    await authorize(provider);
    const first = provider.tokens()!;

    expect(await auth(provider, { serverUrl: `${s.base}/mcp` })).toBe('AUTHORIZED');
    const second = provider.tokens()!;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    const ok = await fetch(`${s.base}/mcp`, { method: 'POST', headers: mcpHeaders(second.access_token), body: LIST });
    expect(ok.status).toBe(200);

    // The old refresh token again: refused, and every token of the grant dies with it.
    const replay = await fetch(`${s.base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: String(provider.clientInformation()!.client_id) }),
    });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
    const dead = await fetch(`${s.base}/mcp`, { method: 'POST', headers: mcpHeaders(second.access_token), body: LIST });
    expect(dead.status).toBe(401);
    expect(dead.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await s.core.oauth.grantsOf(s.project.id)).toEqual([]);
  });

  it('a DCR client with client_secret_post (as claude.ai registers) gets a secret and uses it', async () => {
    const provider = new TestProvider('client_secret_post');
    await authorize(provider);
    const info = provider.clientInformation() as { client_id: string; client_secret?: string };
    expect(info.client_id).toMatch(/^cli_/);
    expect(info.client_secret).toMatch(/^spk_/);
    const client = await connected(provider);
    const status = await client.callTool({ name: 'project_status', arguments: {} });
    expect(status.isError).toBeFalsy();
    await client.close();
  });
});

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
const mcpHeaders = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
});
