import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.js';
import { clientAddress, compileTrust, parseTrustProxy, type TrustProxy } from '../src/http/client-address.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { createRouter } from '../src/http/pipeline.js';
import { silentLogger } from '../src/log.js';
import { b64, makeEnv, PDF_MIN, type TestEnv } from './helpers.js';

describe('the router both entry points use', () => {
  const route = createRouter('sites.test', new Set(['api.test', '127.0.0.1']));
  it('sends site hosts to sites, platform hosts to the platform, and refuses other hosts', () => {
    expect(route('shop.sites.test', 'GET', '/')).toMatchObject({ to: 'site', subdomain: 'shop', host: 'shop.sites.test' });
    expect(route('SHOP.sites.test.:8080', 'GET', '/x')).toMatchObject({ to: 'site', subdomain: 'shop', host: 'shop.sites.test' });
    expect(route('a.b.sites.test', 'GET', '/')).toEqual({ to: 'refused', host: 'a.b.sites.test' });
    expect(route('api.test:443', 'POST', '/mcp')).toEqual({ to: 'platform' });
    expect(route('api.test', 'GET', '/d/spd_x?visitor_id=v')).toEqual({ to: 'download', token: 'spd_x', query: 'visitor_id=v' });
    expect(route('api.test', 'POST', '/d/spd_x')).toEqual({ to: 'platform' });
    expect(route('evil.example', 'GET', '/healthz')).toEqual({ to: 'refused', host: 'evil.example' });
    expect(route(undefined, 'GET', '/')).toEqual({ to: 'refused', host: '' });
  });
});

describe('the client address behind proxies', () => {
  const addr = (socket: string | undefined, xff: string | undefined, t: TrustProxy) => clientAddress(socket, xff, compileTrust(t));
  it('reads X-Forwarded-For from the right, past trusted hops only', () => {
    // Off: the socket, whatever the header says.
    expect(addr('10.0.0.5', '6.6.6.6', false)).toBe('10.0.0.5');
    // One hop (our proxy appends the client): the rightmost entry, never a spoofed leftmost one.
    expect(addr('10.0.0.5', '6.6.6.6, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(addr('10.0.0.5', '203.0.113.9', 1)).toBe('203.0.113.9');
    // Two hops (CDN then our proxy).
    expect(addr('10.0.0.5', '6.6.6.6, 203.0.113.9, 198.51.100.7', 2)).toBe('203.0.113.9');
    // Trusted subnets: skip our proxies, stop at the first address that is not one.
    expect(addr('127.0.0.1', '6.6.6.6, 203.0.113.9, 10.1.2.3', ['loopback', '10.0.0.0/8'])).toBe('203.0.113.9');
    // A socket that is not a trusted proxy: its header is ignored.
    expect(addr('198.51.100.1', '6.6.6.6', ['loopback'])).toBe('198.51.100.1');
    expect(addr('10.0.0.5', undefined, 1)).toBe('10.0.0.5');
  });
  it('parses SITEPUB_TRUST_PROXY', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('0')).toBe(false);
    expect(parseTrustProxy('true')).toBe(1);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => compileTrust(['not-an-address'])).toThrow();
  });
});

describe('the production listener records the real client address', () => {
  let env: TestEnv;
  const servers: Server[] = [];
  beforeAll(async () => {
    env = await makeEnv();
    await env.core.assets.upload(env.project, { slug: 'f.pdf', content: b64(PDF_MIN), private: true });
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    await env.close();
  });

  async function listen(trustProxy: TrustProxy | boolean): Promise<number> {
    const { listener } = createApp({
      core: env.core,
      logger: silentLogger,
      options: { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set(), trustProxy, maxBodyBytes: DEFAULT_MAX_BODY },
    });
    const s = createServer(listener);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  }

  const download = (port: number, token: string, xff: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path: `/d/${token}`, headers: { host: '127.0.0.1', 'x-forwarded-for': xff }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      r.on('error', reject);
      r.end();
    });

  it.each([
    [true, '6.6.6.6, 203.0.113.9', '203.0.113.9'],
    [false, '6.6.6.6, 203.0.113.9', '127.0.0.1'],
    [['loopback'] as TrustProxy, '6.6.6.6, 203.0.113.9', '203.0.113.9'],
  ])('trust %j, X-Forwarded-For "%s": recorded as %s', async (trust, xff, expected) => {
    const port = await listen(trust);
    const g = await env.core.downloads.generate(env.project, { asset_url: '/f.pdf' });
    expect(await download(port, g.token, xff)).toBe(200);
    const ev = await env.core.db.kysely.selectFrom('download_events').select(['ip']).where('token_id', '=', g.token_id).where('outcome', '=', 'ok').executeTakeFirstOrThrow();
    expect(ev.ip).toBe(expected);
  });
});
