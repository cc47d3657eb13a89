/**
 * What the OAuth tests share: a real sitepub listener on a loopback port (the public URL is its
 * address, so the metadata's URLs are reachable), a browser that signs an owner in and drives the
 * consent page over HTTP, and a loopback https server with a certificate made here (for client
 * metadata documents and JWKS, fetched by the SSRF-safe fetch through its test-only allow-list).
 * No traffic leaves loopback.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { ManualClock, type Clock } from '../src/core/clock.js';
import { makeUrlConfig } from '../src/core/config.js';
import { Core } from '../src/core/core.js';
import type { OAuthFetchPolicy } from '../src/core/oauth/fetch-document.js';
import type { Project } from '../src/core/projects.js';
import { migrate } from '../src/db/connect.js';
import { createApp } from '../src/http/app.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { silentLogger } from '../src/log.js';
import { createMcpHttpHandler } from '../src/mcp/http.js';
import { freePort } from '../src/server.js';
import { openTestDb, type DialectName } from './dialects.js';

export interface OAuthTestServer {
  core: Core;
  clock: ManualClock;
  project: Project;
  /** The public URL: http://127.0.0.1:{port}. */
  base: string;
  close(): Promise<void>;
}

/** sitepub on a loopback port over a fresh database of `dialect`; the clock starts at the real time (assertions are signed with it). */
export async function startOAuthServer(opts: { dialect?: DialectName; fetch?: OAuthFetchPolicy; rateLimitPoints?: number } = {}): Promise<OAuthTestServer> {
  const port = await freePort('127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const clock = new ManualClock(new Date());
  const opened = await openTestDb(opts.dialect ?? 'sqlite');
  await migrate(opened.db);
  const core = new Core({
    db: opened.db,
    urls: makeUrlConfig(base, 'localhost'),
    clock: clock as Clock,
    rateLimit: { points: opts.rateLimitPoints ?? 1000, windowSec: 60 },
    oauth: { fetch: opts.fetch ?? {} },
  });
  const project = await core.projects.create({ name: 'Bakery', subdomain: 'bakery' });
  const { listener, cache } = createApp({
    core,
    logger: silentLogger,
    mcp: createMcpHttpHandler(core, { logger: silentLogger, maxBodyBytes: DEFAULT_MAX_BODY }),
    options: { allowedHosts: new Set(['127.0.0.1', 'localhost']), allowedOrigins: new Set([base]), trustProxy: false, maxBodyBytes: DEFAULT_MAX_BODY },
  });
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    core,
    clock,
    project,
    base,
    close: async () => {
      cache.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await opened.cleanup();
    },
  };
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescape = (s: string): string => s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m]!);

/** The hidden fields and the project choices of a consent page. */
export function consentForm(html: string): { fields: Record<string, string>; projects: string[] } {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(m[1]!)] = unescape(m[2]!);
  const projects = [...html.matchAll(/<option value="([^"]*)">/g)].map((m) => unescape(m[1]!));
  return { fields, projects };
}

/** A browser with one signed-in owner: a session cookie, redirects not followed. */
export class Browser {
  private cookie = '';

  constructor(private readonly base: string) {}

  /** Creates an owner and signs this browser in with a one-time link (`/login/link/{token}`). */
  async signIn(core: Core, email = 'owner@example.com'): Promise<string> {
    const owner = (await core.owners.findByEmail(email)) ?? (await core.owners.create({ email }));
    const link = await core.owners.loginLinkFor(owner.id);
    const res = await fetch(link.url, { redirect: 'manual' });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('sitepub_session='));
    if (!set) throw new Error(`sign-in link gave no session cookie (HTTP ${res.status})`);
    this.cookie = set.split(';')[0]!;
    return owner.id;
  }

  get(url: string): Promise<Response> {
    return fetch(new URL(url, this.base), { redirect: 'manual', headers: this.cookie ? { cookie: this.cookie } : {} });
  }

  postForm(path: string, fields: Record<string, string>): Promise<Response> {
    return fetch(new URL(path, this.base), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /**
   * Opens an authorization URL and answers the consent page: `approve` picks the first project
   * (or `projectId`). Returns where the server sends the browser next (the client's redirect_uri
   * with code or error, state and iss).
   */
  async consent(authorizationUrl: string | URL, decision: 'approve' | 'deny' = 'approve', projectId?: string): Promise<URL> {
    const page = await this.get(String(authorizationUrl));
    if (page.status !== 200) throw new Error(`consent page: HTTP ${page.status} ${page.headers.get('location') ?? (await page.text()).slice(0, 300)}`);
    const { fields, projects } = consentForm(await page.text());
    const res = await this.postForm('/oauth/authorize', { ...fields, decision, ...(decision === 'approve' ? { project_id: projectId ?? projects[0]! } : {}) });
    const location = res.headers.get('location');
    if (res.status !== 303 || !location) throw new Error(`consent decision: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    return new URL(location);
  }
}

export const pkcePair = (): { verifier: string; challenge: string } => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

export async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

// --- A certificate for a loopback https server, made with node:crypto (DER by hand: no openssl, no dependency).

const der = {
  len(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
  },
  tlv(tag: number, ...content: Buffer[]): Buffer {
    const body = Buffer.concat(content);
    return Buffer.concat([Buffer.from([tag]), der.len(body.length), body]);
  },
  seq: (...items: Buffer[]): Buffer => der.tlv(0x30, ...items),
  set: (...items: Buffer[]): Buffer => der.tlv(0x31, ...items),
  int(bytes: Buffer): Buffer {
    return der.tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
  },
  oid(dotted: string): Buffer {
    const [a, b, ...rest] = dotted.split('.').map(Number);
    const out = [40 * a! + b!];
    for (const n of rest) {
      const chunk = [n & 0x7f];
      for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
      out.push(...chunk);
    }
    return der.tlv(0x06, Buffer.from(out));
  },
  utf8: (s: string): Buffer => der.tlv(0x0c, Buffer.from(s, 'utf8')),
  time(d: Date): Buffer {
    const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
    return der.tlv(0x17, Buffer.from(s, 'ascii'));
  },
  bits: (bytes: Buffer): Buffer => der.tlv(0x03, Buffer.from([0]), bytes),
  octets: (bytes: Buffer): Buffer => der.tlv(0x04, bytes),
  explicit: (n: number, inner: Buffer): Buffer => der.tlv(0xa0 | n, inner),
};

/** A self-signed P-256 certificate for 127.0.0.1 (subjectAltName IP, CA so it can be its own trust anchor), valid one day. */
export function loopbackCertificate(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaSha256 = der.seq(der.oid('1.2.840.10045.4.3.2'));
  const name = der.seq(der.set(der.seq(der.oid('2.5.4.3'), der.utf8('127.0.0.1'))));
  const now = Date.now();
  const serial = randomBytes(8);
  serial[0]! &= 0x7f;
  const extensions = der.explicit(
    3,
    der.seq(
      der.seq(der.oid('2.5.29.17'), der.octets(der.seq(der.tlv(0x87, Buffer.from([127, 0, 0, 1]))))),
      der.seq(der.oid('2.5.29.19'), der.tlv(0x01, Buffer.from([0xff])), der.octets(der.seq(der.tlv(0x01, Buffer.from([0xff]))))),
    ),
  );
  const tbs = der.seq(
    der.explicit(0, der.int(Buffer.from([2]))),
    der.int(serial),
    ecdsaSha256,
    name,
    der.seq(der.time(new Date(now - 3600_000)), der.time(new Date(now + 24 * 3600_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const certDer = der.seq(tbs, ecdsaSha256, der.bits(sign('sha256', tbs, privateKey)));
  const pem = (label: string, body: Buffer): string => `-----BEGIN ${label}-----\n${body.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: pem('CERTIFICATE', certDer) };
}

export interface DocumentServer {
  /** https://127.0.0.1:{port} */
  base: string;
  /** The certificate to trust (the fetch policy's `ca`). */
  cert: string;
  /** Serves `body` (JSON) at `path`; a function is called per request. */
  serve(path: string, body: unknown | (() => unknown)): void;
  /** How many times each path was fetched. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** A loopback https server for client metadata documents and JWKS. */
export async function startDocumentServer(): Promise<DocumentServer> {
  const { key, cert } = loopbackCertificate();
  const docs = new Map<string, unknown>();
  const hits = new Map<string, number>();
  const server: Server = createHttpsServer({ key, cert }, (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (!docs.has(path)) {
      res.writeHead(404).end();
      return;
    }
    const d = docs.get(path);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(typeof d === 'function' ? (d as () => unknown)() : d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    cert,
    hits,
    serve: (path, body) => docs.set(path, body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** An RSA key pair for private_key_jwt: the private key (PKCS#8 PEM, as the SDK's createPrivateKeyJwtAuth takes it) and the public JWK. */
export async function clientKeyPair(kid = 'k1'): Promise<{ privatePem: string; privateKey: KeyObject; publicJwk: Record<string, unknown> }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { privatePem: pem, privateKey: createPrivateKey(pem), publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}
