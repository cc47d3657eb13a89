import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LookupFunction } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, isBlockedHostLiteral } from '../src/core/net/ip-policy.js';
import { safeFetch, type SafeFetchOptions } from '../src/core/net/safe-fetch.js';
import { rejection } from './helpers.js';

// Traffic goes only to a loopback server. Private and public addresses are exercised through the
// classifier and an injected DNS lookup, and are refused before any connection is attempted.

describe('address classifier', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '198.18.0.1',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
    '::127.0.0.1',
    'ff02::1',
    'not-an-ip',
  ])('blocks %s', (a) => {
    expect(classifyAddress(a).allowed).toBe(false);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows public %s', (a) => {
    expect(classifyAddress(a).allowed).toBe(true);
  });

  it.each([
    'http://2130706433/',
    'http://0x7f.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://0/',
    'http://[::ffff:7f00:1]/',
    'http://[::1]/',
    'http://169.254.169.254/',
    'http://0xA9FEA9FE/',
  ])('numeric and hex host forms are normalised and blocked: %s', (u) => {
    const v = isBlockedHostLiteral(new URL(u).hostname);
    expect(v).not.toBeNull();
    expect(v!.allowed).toBe(false);
  });

  it('names are not literals', () => {
    expect(isBlockedHostLiteral('example.com')).toBeNull();
  });
});

describe('safeFetch against a loopback server', () => {
  let server: Server;
  let port = 0;
  const hits: string[] = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/file.txt': (_q, r) => {
      r.writeHead(200, { 'content-type': 'text/plain' });
      r.end('hello');
    },
    '/big-declared': (_q, r) => {
      r.writeHead(200, { 'content-length': String(5000) });
      r.end('x'.repeat(5000));
    },
    '/big-chunked': (_q, r) => {
      r.writeHead(200, { 'content-type': 'application/octet-stream' });
      let n = 0;
      const t = setInterval(() => {
        if (r.destroyed || n++ > 50) {
          clearInterval(t);
          r.end();
          return;
        }
        r.write('y'.repeat(1000));
      }, 1);
    },
    '/gzip': (_q, r) => {
      r.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
      r.end(gzipSync('compressed body'));
    },
    '/hang': () => undefined,
    // 8 pieces of 1 KB, one every 100 ms: a slow transfer that never pauses for long.
    '/drip': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let n = 0;
      const t = setInterval(() => {
        res.write(Buffer.alloc(1024, 0x61));
        if (++n === 8) {
          clearInterval(t);
          res.end();
        }
      }, 100);
    },
    // Headers, one piece, then nothing: a transfer that stalls.
    '/stall': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024, 0x61));
    },
    '/404': (_q, r) => {
      r.writeHead(404);
      r.end('nope');
    },
    '/loop': (_q, r) => {
      r.writeHead(302, { location: '/loop' });
      r.end();
    },
    '/to-file': (_q, r) => {
      r.writeHead(301, { location: '/file.txt' });
      r.end();
    },
  };
  const redirectTargets = ['http://10.1.2.3/x', 'http://169.254.169.254/latest', 'http://[::1]:1/', 'http://localhost:1/', 'file:///etc/passwd', 'http://0xa9fea9fe/'];
  redirectTargets.forEach((target, i) => {
    routes[`/redir-${i}`] = (_q, r) => {
      r.writeHead(302, { location: target });
      r.end();
    };
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      (routes[req.url ?? ''] ?? routes['/404']!)(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const base = (): string => `http://127.0.0.1:${port}`;
  const opts = (o: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({ maxBytes: 1000, timeoutMs: 2000, maxRedirects: 3, allowAddresses: ['127.0.0.1'], ...o });

  it('refuses loopback by default, before connecting', async () => {
    const before = hits.length;
    const e = await rejection(safeFetch(`${base()}/file.txt`, opts({ allowAddresses: [] })));
    expect(e.type).toBe('SOURCE_URL_BLOCKED');
    expect(hits.length).toBe(before);
  });

  it('fetches from an explicitly allowed test server', async () => {
    const r = await safeFetch(`${base()}/file.txt`, opts());
    expect(r.bytes.toString()).toBe('hello');
    expect(r.contentType).toBe('text/plain');
  });

  it('follows safe redirects and re-checks every hop', async () => {
    expect((await safeFetch(`${base()}/to-file`, opts())).finalUrl).toBe(`${base()}/file.txt`);
    for (let i = 0; i < redirectTargets.length; i++) {
      const e = await rejection(safeFetch(`${base()}/redir-${i}`, opts()));
      expect(e.type, redirectTargets[i]).toBe('SOURCE_URL_BLOCKED');
    }
    expect((await rejection(safeFetch(`${base()}/loop`, opts()))).type).toBe('SOURCE_URL_FAILED');
  });

  it('checks the resolved address of names (DNS answers included), and never names that address', async () => {
    const fake = (address: string, family: 4 | 6): LookupFunction =>
      ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
        o?.all ? cb(null, [{ address, family }]) : cb(null, address, family)) as unknown as LookupFunction;
    for (const [addr, fam] of [
      ['10.0.0.5', 4],
      ['169.254.169.254', 4],
      ['::ffff:127.0.0.1', 6],
      ['::ffff:10.1.2.3', 6],
      ['fd00::1', 6],
    ] as const) {
      const e = await rejection(safeFetch('http://files.example.com/a.png', opts({ allowAddresses: [], lookup: fake(addr, fam) })));
      expect(e.type, addr).toBe('SOURCE_URL_BLOCKED');
      // Split-horizon DNS must not be enumerable: the answer says the host is not public, nothing more.
      expect(e.message).toContain('"files.example.com" is not a public host');
      for (const leak of [addr, addr.replace(/^::ffff:/, ''), 'private', 'linkLocal', 'uniqueLocal', 'loopback address', 'ipv4Mapped']) expect(e.message, addr).not.toContain(leak);
      expect(JSON.stringify(e.toBody()), addr).not.toContain(addr.replace(/^::ffff:/, ''));
    }
    // A name with several addresses, one of them internal, is refused the same way.
    const several = ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
      o?.all ? cb(null, [{ address: '93.184.216.34', family: 4 }, { address: '10.9.8.7', family: 4 }]) : cb(null, '10.9.8.7', 4)) as unknown as LookupFunction;
    const e = await rejection(safeFetch('http://mixed.example.com/a.png', opts({ allowAddresses: [], lookup: several })));
    expect(e.type).toBe('SOURCE_URL_BLOCKED');
    expect(e.message).not.toContain('10.9.8.7');
    expect(e.message).not.toContain('93.184.216.34');
    // An address the user typed may be echoed: they already know it.
    expect((await rejection(safeFetch('http://10.0.0.5/a.png', opts({ allowAddresses: [] })))).message).toContain('10.0.0.5');
    // A name that resolves to the allowed test server is fetched (the check is on the address).
    const r = await safeFetch(`http://files.example.com:${port}/file.txt`, opts({ lookup: fake('127.0.0.1', 4) }));
    expect(r.bytes.toString()).toBe('hello');
  });

  it('caps the size by Content-Length and while streaming', async () => {
    expect((await rejection(safeFetch(`${base()}/big-declared`, opts()))).type).toBe('PAYLOAD_TOO_LARGE');
    expect((await rejection(safeFetch(`${base()}/big-chunked`, opts({ maxBytes: 3000 })))).type).toBe('PAYLOAD_TOO_LARGE');
  });

  it('times out, reports HTTP errors, never decompresses', async () => {
    const t = await rejection(safeFetch(`${base()}/hang`, opts({ timeoutMs: 300 })));
    expect(t.type).toBe('SOURCE_URL_FAILED');
    expect(t.message).toContain('timed out');
    // A slow transfer outlives timeoutMs as long as data keeps coming (a large file for sale at 1 MiB/s)...
    const slow = await safeFetch(`${base()}/drip`, opts({ timeoutMs: 300, maxBytes: 64 * 1024 }));
    expect(slow.bytes.length).toBe(8 * 1024);
    // ...but a pause longer than timeoutMs still ends it.
    const stalled = await rejection(safeFetch(`${base()}/stall`, opts({ timeoutMs: 300, maxBytes: 64 * 1024 })));
    expect(stalled.type).toBe('SOURCE_URL_FAILED');
    expect(stalled.message).toContain('timed out');
    expect((await rejection(safeFetch(`${base()}/404`, opts()))).message).toContain('404');
    const gz = await safeFetch(`${base()}/gzip`, opts());
    expect(gz.bytes.equals(gzipSync('compressed body'))).toBe(true);
  });

  it.each(['ftp://example.com/a.png', 'file:///etc/passwd', 'data:text/plain,hi', 'http://user:pw@example.com/a.png', 'http://localhost/a.png', 'http://intranet/a.png'])(
    'refuses %s',
    async (u) => {
      expect((await rejection(safeFetch(u, opts({ allowAddresses: [] })))).type).toBe('SOURCE_URL_BLOCKED');
    },
  );
});

describe('assets_upload with source_url', () => {
  it('fetches from a test server only when configured to, and checks the bytes it got', async () => {
    const { PNG_1PX, call, connect, makeEnv } = await import('./helpers.js');
    const srv = createServer((req, res) => {
      if (req.url === '/logo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG_1PX);
      else res.writeHead(200, { 'content-type': 'image/png' }).end('<html>not an image</html>');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const closed = await makeEnv();
    const open = await makeEnv({ fetchPolicy: { allowAddresses: ['127.0.0.1'] } });
    try {
      const refused = await call(await connect(closed.core), 'assets_upload', { slug: 'logo.png', source_url: `http://127.0.0.1:${port}/logo.png` });
      expect(refused.error).toMatchObject({ code: 422, type: 'SOURCE_URL_BLOCKED' });
      // Through the tool, a name resolving internally is refused without its address.
      const internal = await makeEnv({ fetchPolicy: { lookup: ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) => (o?.all ? cb(null, [{ address: '10.20.30.40', family: 4 }]) : cb(null, '10.20.30.40', 4))) as unknown as LookupFunction } });
      try {
        const c = await connect(internal.core);
        const r = await call(c, 'assets_upload', { slug: 'logo.png', source_url: 'http://intranet.corp.example.com/logo.png' });
        expect(r.error).toMatchObject({ code: 422, type: 'SOURCE_URL_BLOCKED' });
        expect(JSON.stringify(r.raw)).not.toContain('10.20.30.40');
        expect(r.error.message).toContain('not a public host');
        expect((await call<{ total: number }>(c, 'assets_list')).data.total).toBe(0);
      } finally {
        await internal.close();
      }
      const client = await connect(open.core);
      const ok = await call<{ size_bytes: number; content_type: string }>(client, 'assets_upload', { slug: 'logo.png', source_url: `http://127.0.0.1:${port}/logo.png` });
      expect(ok.data).toMatchObject({ size_bytes: PNG_1PX.length, content_type: 'image/png' });
      const lie = await call(client, 'assets_upload', { slug: 'fake.png', source_url: `http://127.0.0.1:${port}/fake.png` });
      expect(lie.error.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect((await call<{ total: number }>(client, 'assets_list')).data.total).toBe(1);
    } finally {
      srv.close();
      await closed.close();
      await open.close();
    }
  });
});
