import type { Context } from 'hono';
import type { Core } from '../core/core.js';
import type { Project } from '../core/projects.js';
import { pathOfUrl } from './pipeline.js';
import { toResponse, type Reply } from './reply.js';
import type { Entry, SiteCache, Variant } from './site-cache.js';
import { compress, negotiate, type Encoding } from './site-encoding.js';
import { PREVIEW_PREFIX } from '../core/sites/preview.js';
import { previewReply } from './site-preview.js';
import { cacheKeyOf, notFoundEntry, noSiteHtml, NOT_FOUND_KEY, resolve } from './site-resolve.js';

export { SiteCache } from './site-cache.js';
export { cacheKeyOf } from './site-resolve.js';

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const enc = new TextEncoder();

const REVALIDATE = 'public, no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

const BASE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
};

const NOT_ALLOWED: Reply = { status: 405, headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }, body: enc.encode('Method not allowed') };

/** One site request, as both entry points read it from theirs. */
export interface SiteRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  ifNoneMatch: string | undefined;
  acceptEncoding: string | undefined;
  referer: string | undefined;
  /** The Host's name (no port), to tell a visit from elsewhere from a click within the site. */
  host: string;
}

function build(entry: Entry, v: Variant, encoding: Encoding | null, immutable: boolean): Record<string, string> {
  const h: Record<string, string> = { ...BASE_HEADERS, 'Cache-Control': immutable ? IMMUTABLE : REVALIDATE, 'Content-Type': entry.contentType, 'Content-Length': String(v.body.byteLength) };
  if (encoding) h['Content-Encoding'] = encoding;
  if (entry.compressible) h.Vary = 'Accept-Encoding';
  if (entry.svg) h['Content-Security-Policy'] = SVG_CSP;
  // Fonts are the one public file browsers fetch in CORS mode (@font-face): without this a page shown
  // from another origin (a draft in a chat's sandboxed frame, a site on its own domain loading the
  // subdomain's fonts) draws in a fallback font. Site files are public, so any origin may read them.
  if (entry.contentType.startsWith('font/')) h['Access-Control-Allow-Origin'] = '*';
  if (entry.noindex) h['X-Robots-Tag'] = 'noindex';
  if (v.etag) h.ETag = v.etag;
  return h;
}

const identityOf = (e: Entry): Variant => (e.identity ??= { body: e.body, etag: e.etag });

/** An ETag per representation: the identity's with the coding appended inside the quotes. */
const codedEtag = (etag: string, encoding: Encoding): string => (etag ? `${etag.slice(0, -1)}-${encoding}"` : '');

/** Makes an entry's compressed variant once; every request that wants it meanwhile waits for the same promise. */
function variantOf(cache: SiteCache, e: Entry, encoding: Encoding): Variant | Promise<Variant | null> | null {
  const have = e[encoding];
  if (have !== undefined) return have;
  const made = compress(e.body, encoding).then(
    (body) => {
      const v = body && { body, etag: codedEtag(e.etag, encoding) };
      e[encoding] = v;
      if (v) cache.resized(e);
      return v;
    },
    () => (e[encoding] = null),
  );
  e[encoding] = made;
  return made;
}

/**
 * Answers one site request. Everything a request needs is cached per path (including each
 * compressed representation, made once), so a hit costs a map lookup (plus, with several
 * processes, one read of the site generation), an Accept-Encoding scan for text, and a counter
 * increment for a page view.
 */
export function siteReply(core: Core, cache: SiteCache, subdomain: string, req: SiteRequest): Reply | Promise<Reply> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return NOT_ALLOWED;
  // A cache hit is answered synchronously: no promise, and for a plain path no decoding.
  const project = core.projects.cachedBySubdomain(subdomain);
  const q = req.url.indexOf('?');
  const key = cacheKeyOf(q < 0 ? req.url : req.url.slice(0, q));
  if (project && key !== null) {
    const g = cache.generation(project.id);
    if (typeof g === 'number') {
      const hit = cache.get(project.id, g, key);
      if (hit) return reply(core, cache, project, hit, req, q);
    }
  }
  return slowReply(core, cache, subdomain, key, req, q);
}

async function slowReply(core: Core, cache: SiteCache, subdomain: string, key: string | null, req: SiteRequest, q: number): Promise<Reply> {
  const project = await core.projects.findBySubdomain(subdomain);
  if (!project) return noSite(req.host);
  // Draft previews are signed per link and never cached: they never reach the cache's hot path.
  if (key !== null && key.startsWith(PREVIEW_PREFIX)) return previewReply(core, project, key.slice(PREVIEW_PREFIX.length), q < 0 ? '' : req.url.slice(q + 1), req.method);
  const g = cache.generation(project.id);
  const gen = typeof g === 'number' ? g : await g;
  let entry = key === null ? undefined : cache.get(project.id, gen, key);
  if (!entry) {
    // Concurrent misses of one path share one resolve, so one entry (and one compression per coding) serves them all.
    entry = key === null ? undefined : await cache.fill(project.id, gen, key, () => resolve(core, project, key));
    if (!entry) {
      // Unknown paths share the site's one "not found" entry: a flood of random paths costs lookups, never memory.
      entry = cache.get(project.id, gen, NOT_FOUND_KEY);
      if (!entry) cache.set(project.id, gen, NOT_FOUND_KEY, (entry = await notFoundEntry(core, project)));
    }
  }
  return reply(core, cache, project, entry, req, q);
}

function reply(core: Core, cache: SiteCache, project: Project, entry: Entry, req: SiteRequest, q: number): Reply | Promise<Reply> {
  if (entry.page !== undefined && req.method === 'GET') core.analytics.view(project.id, entry.page, req.referer, req.host);
  const encoding = entry.compressible ? negotiate(req.acceptEncoding) : null;
  const immutable = entry.immutable === true || (q >= 0 && entry.version !== undefined && versionParam(req.url, q) === entry.version);
  if (encoding) {
    const v = variantOf(cache, entry, encoding);
    if (v instanceof Promise) return v.then((made) => (made ? send(entry, made, encoding, immutable, req) : send(entry, identityOf(entry), null, immutable, req)));
    if (v) return send(entry, v, encoding, immutable, req);
  }
  return send(entry, identityOf(entry), null, immutable, req);
}

function send(entry: Entry, v: Variant, encoding: Encoding | null, immutable: boolean, req: SiteRequest): Reply {
  const headers = immutable ? (v.immutableHeaders ??= build(entry, v, encoding, true)) : (v.headers ??= build(entry, v, encoding, false));
  const inm = req.ifNoneMatch;
  if (v.etag && inm && inm.split(',').some((t) => t.trim() === v.etag || t.trim() === `W/${v.etag}`)) {
    const h: Record<string, string> = { ETag: v.etag, 'Cache-Control': headers['Cache-Control']! };
    if (headers.Vary) h.Vary = headers.Vary;
    return { status: 304, headers: h, body: null };
  }
  return { status: entry.status, headers, body: req.method === 'HEAD' ? null : v.body };
}

/** The value of `v` in a query string, without parsing the rest. */
function versionParam(url: string, q: number): string | undefined {
  let i = url.indexOf('v=', q + 1);
  while (i >= 0 && url[i - 1] !== '?' && url[i - 1] !== '&') i = url.indexOf('v=', i + 2);
  if (i < 0) return undefined;
  const end = url.indexOf('&', i);
  return url.slice(i + 2, end < 0 ? undefined : end);
}

function noSite(host: string): Reply {
  const body = enc.encode(noSiteHtml(host));
  return { status: 404, headers: { ...BASE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': REVALIDATE, 'X-Robots-Tag': 'noindex', 'Content-Length': String(body.byteLength) }, body };
}

export function siteRequestOf(c: Context, host: string): SiteRequest {
  return { method: c.req.method, url: pathOfUrl(c.req.url), ifNoneMatch: c.req.header('if-none-match'), acceptEncoding: c.req.header('accept-encoding'), referer: c.req.header('referer'), host };
}

export async function serveSite(c: Context, core: Core, cache: SiteCache, subdomain: string, host: string): Promise<Response> {
  return toResponse(await siteReply(core, cache, subdomain, siteRequestOf(c, host)));
}
