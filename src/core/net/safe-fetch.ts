import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { Agent as UndiciAgent } from 'undici';
import { SitepubError } from '../errors.js';
import { classifyAddress, isBlockedHostLiteral, type AddressVerdict } from './ip-policy.js';

export interface SafeFetchOptions {
  maxBytes: number;
  /** Whole fetch, body included. */
  timeoutMs: number;
  maxRedirects: number;
  /** Test-only escape hatch: exact IP literals allowed despite the policy. Empty by default. */
  allowAddresses?: readonly string[] | undefined;
  /** Test-only: extra trust anchors (PEM) for https beside Node's bundled roots, for a loopback test server's certificate. */
  ca?: readonly string[] | undefined;
  /** Injectable DNS lookup (dns.lookup's signature), so tests need no network. */
  lookup?: LookupFunction | undefined;
  userAgent?: string | undefined;
  /** A POST (webhook deliveries) with these headers and body; default GET. Use maxRedirects 0: a redirected POST is not followed. */
  post?: { headers: Readonly<Record<string, string>>; body: string } | undefined;
  /** What the URL is called in error messages (default "source_url"). */
  label?: string | undefined;
  /** Answer any final HTTP status instead of failing on one outside 2xx (the caller reads `status`). */
  anyStatus?: boolean | undefined;
}

export interface SafeFetchResult {
  status: number;
  bytes: Buffer;
  contentType: string | null;
  finalUrl: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Drops a response body we will not read; the abort it causes is expected, not an error. */
function discard(body: { on(event: 'error', l: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function blocked(url: string, why: string, label = 'source_url'): SitepubError {
  return new SitepubError(
    'SOURCE_URL_BLOCKED',
    `${label} ${url} was refused: ${why}. Private, loopback, link-local and cloud-metadata addresses are never fetched. ` +
      'Use a public http(s) URL, or send the file bytes in content / content_text instead.',
  );
}

function failed(url: string, why: string): SitepubError {
  return new SitepubError('SOURCE_URL_FAILED', `Could not download ${url}: ${why}. Check that the URL is public and points to the file itself, or send the bytes in content instead.`);
}

/** For an IP literal the caller typed (or a redirect named): they know the address already. */
const verdictText = (v: AddressVerdict): string => `${v.address} is a ${v.range} address`;

/**
 * For a name that resolved to a refused address. The address, and even its kind, stay out of the
 * answer: naming them would let a tenant map the server's internal (split-horizon) DNS one name at
 * a time.
 */
const notPublicHost = (hostname: string): string => `"${hostname}" is not a public host (it does not resolve to a public internet address)`;

/**
 * A lookup that refuses the connection when any resolved address is not allowed. Because it runs
 * at connect time, the address checked is the address connected to (no DNS-rebinding gap). The
 * error carries no address: its message could reach the caller.
 */
function guardedLookup(base: LookupFunction, allow: ReadonlySet<string>): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address as string, family);
      const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
      for (const a of list) {
        if (!classifyAddress(a).allowed && !allow.has(a)) {
          const e = new Error('blocked address') as NodeJS.ErrnoException;
          e.code = 'ESITEPUB_BLOCKED';
          return callback(e, address as string, family);
        }
      }
      callback(null, address as string, family);
    });
  }) as LookupFunction;
}

function checkUrl(url: URL, allow: ReadonlySet<string>, label?: string): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw blocked(url.href, `only http and https URLs are fetched, not ${url.protocol}`, label);
  if (url.username || url.password) throw blocked(url.href, 'URLs with credentials are not fetched', label);
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const literal = isBlockedHostLiteral(host);
  if (literal) {
    const bare = host.replace(/^\[|\]$/g, '');
    if (!literal.allowed && !allow.has(bare)) throw blocked(url.href, verdictText(literal), label);
    return;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || !host.includes('.')) {
    throw blocked(url.href, `"${host}" is a local host name`, label);
  }
}

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_CONNECT_TIMEOUT' && code.startsWith('E')) return code;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageOf(e: unknown): string {
  let cur: unknown = e;
  let msg = '';
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    msg = (cur as { message?: string }).message ?? msg;
    cur = (cur as { cause?: unknown }).cause;
  }
  return msg;
}

/** A response being read: its body streams, capped at maxBytes and within the time limit. */
export interface SafeFetchStream {
  status: number;
  contentType: string | null;
  finalUrl: string;
  /** The body's pieces; iterating fails with PAYLOAD_TOO_LARGE past maxBytes, SOURCE_URL_FAILED on a broken or slow transfer. */
  body: AsyncIterable<Buffer>;
}

/**
 * Fetches a user-supplied URL without letting it reach the server's own network, and buffers the
 * body (for small answers: webhooks, client documents, base-size assets). See safeFetchStream.
 */
export async function safeFetch(rawUrl: string, opts: SafeFetchOptions): Promise<SafeFetchResult> {
  return safeFetchStream(rawUrl, opts, async (res) => {
    const chunks: Buffer[] = [];
    for await (const b of res.body) chunks.push(b);
    return { status: res.status, bytes: Buffer.concat(chunks), contentType: res.contentType, finalUrl: res.finalUrl };
  });
}

/** The slowest transfer a download is given time for, beyond its waits (see safeFetchStream). */
const SLOWEST_BYTES_PER_SECOND = 1024 * 1024;

/** Whether undici gave up waiting (connect, headers or a pause in the body), anywhere in the cause chain. */
function isUndiciTimeout(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('UND_ERR_') && code.endsWith('_TIMEOUT')) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Fetches a user-supplied URL without letting it reach the server's own network: every hop's
 * host is checked, the connected address is checked, redirects are followed by hand and
 * re-checked, the body is never decompressed, and size and time are capped while streaming.
 * `consume` reads the body as it arrives (an asset upload writes it to storage piece by piece);
 * what it throws passes through unchanged, and the connection is closed when it returns.
 */
export async function safeFetchStream<T>(rawUrl: string, opts: SafeFetchOptions, consume: (res: SafeFetchStream) => Promise<T>): Promise<T> {
  const allow = new Set(opts.allowAddresses ?? []);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new SitepubError('VALIDATION_ERROR', `source_url "${rawUrl.slice(0, 200)}" is not a valid absolute URL.`, { field: 'source_url' });
  }
  // undici is the heaviest module here; loaded only when a URL is actually fetched.
  const { Agent, request } = await import('undici');
  const agent: UndiciAgent = new Agent({
    connect: {
      lookup: guardedLookup(opts.lookup ?? (dns.lookup as LookupFunction), allow),
      timeout: Math.min(opts.timeoutMs, 10_000),
      ...(opts.ca?.length ? { ca: [...rootCertificates, ...opts.ca] } : {}),
    },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    maxRedirections: 0,
  } as UndiciAgent.Options);
  // timeoutMs bounds each wait (connect, headers, a pause in the body); the whole download may take
  // that plus a second per MiB it may carry, so a 500 MB file for sale can come in at 1 MiB/s while a
  // server that stalls is still dropped after timeoutMs.
  const deadlineMs = opts.timeoutMs + Math.ceil(opts.maxBytes / SLOWEST_BYTES_PER_SECOND) * 1000;
  const signal = AbortSignal.timeout(deadlineMs);
  const timedOut = (e: unknown): string | undefined => {
    if (signal.aborted) return `timed out after ${deadlineMs} ms`;
    return isUndiciTimeout(e) ? `timed out (nothing for ${opts.timeoutMs} ms)` : undefined;
  };
  try {
    for (let hop = 0; ; hop++) {
      checkUrl(url, allow, opts.label);
      let res: Awaited<ReturnType<typeof import('undici').request>>;
      try {
        res = await request(url, {
          dispatcher: agent,
          method: opts.post ? 'POST' : 'GET',
          signal,
          headers: { 'accept-encoding': 'identity', 'user-agent': opts.userAgent ?? 'sitepub-fetch/0.1 (+asset import)', accept: '*/*', ...opts.post?.headers },
          ...(opts.post ? { body: opts.post.body } : {}),
        });
      } catch (e) {
        const code = causeCode(e);
        if (code === 'ESITEPUB_BLOCKED') throw blocked(url.href, notPublicHost(url.hostname), opts.label);
        const late = timedOut(e);
        if (late) throw failed(url.href, late);
        if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw failed(url.href, 'the host name does not resolve');
        throw failed(url.href, `connection failed (${code ?? messageOf(e) ?? 'network error'})`);
      }
      if (REDIRECTS.has(res.statusCode) && !(opts.anyStatus && opts.maxRedirects === 0)) {
        await res.body.dump().catch(() => undefined);
        const loc = res.headers.location;
        if (typeof loc !== 'string' || !loc) throw failed(url.href, `redirect ${res.statusCode} without a Location`);
        if (hop >= opts.maxRedirects) throw failed(url.href, `more than ${opts.maxRedirects} redirects`);
        try {
          url = new URL(loc, url);
        } catch {
          throw failed(url.href, 'redirect to an invalid URL');
        }
        continue;
      }
      if (!opts.anyStatus && (res.statusCode < 200 || res.statusCode > 299)) {
        await res.body.dump().catch(() => undefined);
        throw failed(url.href, `the server answered HTTP ${res.statusCode}`);
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        discard(res.body);
        throw new SitepubError('PAYLOAD_TOO_LARGE', `The file at ${url.href} is ${declared} bytes; the limit for this type is ${opts.maxBytes} bytes.`);
      }
      const body = res.body;
      const href = url.href;
      const pieces = async function* (): AsyncGenerator<Buffer> {
        let total = 0;
        try {
          for await (const chunk of body) {
            const b = chunk as Buffer;
            total += b.length;
            if (total > opts.maxBytes) throw new SitepubError('PAYLOAD_TOO_LARGE', `The file at ${href} is larger than the limit of ${opts.maxBytes} bytes for this type.`);
            yield b;
          }
        } catch (e) {
          if (e instanceof SitepubError) throw e;
          const late = timedOut(e);
          throw failed(href, late ?? 'the connection broke while downloading');
        } finally {
          // Stopped early (too large, or the consumer refused the bytes): the rest is never read.
          if (!body.readableEnded) discard(body);
        }
      };
      const ct = res.headers['content-type'];
      return await consume({ status: res.statusCode, contentType: typeof ct === 'string' ? ct : null, finalUrl: href, body: pieces() });
    }
  } finally {
    void agent.close().catch(() => undefined);
  }
}
