import type { Context } from 'hono';
import type { Core } from '../core/core.js';
import { pathOfUrl } from './pipeline.js';
import { toResponse, type Reply } from './reply.js';
import type { Entry, SiteCache } from './site-cache.js';
import { cacheKeyOf, notFoundEntry, NOT_FOUND_KEY, resolve } from './site-resolve.js';

export { SiteCache } from './site-cache.js';
export { cacheKeyOf } from './site-resolve.js';

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const enc = new TextEncoder();

const BASE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Cache-Control': 'public, max-age=0, must-revalidate',
};

const NOT_ALLOWED: Reply = { status: 405, headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }, body: enc.encode('Method not allowed') };
const NO_SITE: Reply = { status: 404, headers: { 'Content-Type': 'text/html; charset=utf-8', ...BASE_HEADERS }, body: enc.encode('<!doctype html><title>No site</title><h1>No site here</h1>') };

function headersOf(entry: Entry): Record<string, string> {
  if (entry.headers) return entry.headers;
  const h: Record<string, string> = { ...BASE_HEADERS, 'Content-Type': entry.contentType, 'Content-Length': String(entry.body.byteLength) };
  if (entry.svg) h['Content-Security-Policy'] = SVG_CSP;
  if (entry.etag) h.ETag = entry.etag;
  entry.headers = h;
  return h;
}

/**
 * Answers one site request. Everything a request needs is cached per path, so a hit costs a map
 * lookup (plus, with several processes, one read of the site generation).
 */
export function siteReply(core: Core, cache: SiteCache, subdomain: string, method: string, rawUrl: string, ifNoneMatch: string | undefined): Reply | Promise<Reply> {
  if (method !== 'GET' && method !== 'HEAD') return NOT_ALLOWED;
  // A cache hit is answered synchronously: no promise, and for a plain path no decoding.
  const project = core.projects.cachedBySubdomain(subdomain);
  const q = rawUrl.indexOf('?');
  const key = cacheKeyOf(q < 0 ? rawUrl : rawUrl.slice(0, q));
  if (project && key !== null) {
    const g = cache.generation(project.id);
    if (typeof g === 'number') {
      const hit = cache.get(project.id, g, key);
      if (hit) return reply(hit, method, ifNoneMatch);
    }
  }
  return slowReply(core, cache, subdomain, method, key, ifNoneMatch);
}

async function slowReply(core: Core, cache: SiteCache, subdomain: string, method: string, key: string | null, ifNoneMatch: string | undefined): Promise<Reply> {
  const project = await core.projects.findBySubdomain(subdomain);
  if (!project) return NO_SITE;
  const g = cache.generation(project.id);
  const gen = typeof g === 'number' ? g : await g;
  let entry = key === null ? undefined : cache.get(project.id, gen, key);
  if (!entry) {
    entry = key === null ? undefined : await resolve(core, project, key);
    if (entry) cache.set(project.id, gen, key!, entry);
    else {
      // Unknown paths share the site's one "not found" entry: a flood of random paths costs lookups, never memory.
      entry = cache.get(project.id, gen, NOT_FOUND_KEY);
      if (!entry) cache.set(project.id, gen, NOT_FOUND_KEY, (entry = await notFoundEntry(core, project)));
    }
  }
  return reply(entry, method, ifNoneMatch);
}

function reply(entry: Entry, method: string, ifNoneMatch: string | undefined): Reply {
  if (entry.etag && ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === entry.etag || t.trim() === `W/${entry.etag}`)) {
    return { status: 304, headers: { ETag: entry.etag, 'Cache-Control': BASE_HEADERS['Cache-Control'] }, body: null };
  }
  return { status: entry.status, headers: headersOf(entry), body: method === 'HEAD' ? null : entry.body };
}

export async function serveSite(c: Context, core: Core, cache: SiteCache, subdomain: string): Promise<Response> {
  return toResponse(await siteReply(core, cache, subdomain, c.req.method, pathOfUrl(c.req.url), c.req.header('if-none-match')));
}
