import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, makeEnv, type TestEnv } from './helpers.js';

/** Browser-based MCP clients (the Inspector) register and exchange codes from their own origin. */
describe('OAuth endpoints answer browsers of any origin; the consent page does not', () => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  beforeAll(async () => {
    env = await makeEnv();
    req = makeApp(env);
  });
  afterAll(() => env.close());

  it('preflight and registration carry CORS headers', async () => {
    const pre = await req('/oauth/register', { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const reg = await req('/oauth/register', {
      method: 'POST',
      headers: { origin: 'http://localhost:6274', 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Inspector', redirect_uris: ['http://localhost:6274/oauth/callback'], token_endpoint_auth_method: 'none' }),
    });
    expect(reg.status).toBe(201);
    expect(reg.headers.get('access-control-allow-origin')).toBe('*');
    const tok = await req('/oauth/token', { method: 'POST', headers: { origin: 'http://localhost:6274', 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=x' });
    expect(tok.headers.get('access-control-allow-origin')).toBe('*');
    expect(tok.status).toBeGreaterThanOrEqual(400);
    const consent = await req('/oauth/authorize?client_id=x', { headers: { origin: 'http://localhost:6274' } });
    expect(consent.headers.get('access-control-allow-origin')).toBeNull();
  });
});
