import type { Context } from 'hono';
import { LRUCache } from 'lru-cache';
import type { Core } from '../core/core.js';
import { readGeneration } from '../core/generation.js';
import type { Project } from '../core/projects.js';
import { pathOfUrl } from './pipeline.js';
import { toResponse, type Reply } from './reply.js';
import { escapeHtml } from './respond.js';

interface Entry {
  status: 200 | 404;
  body: Uint8Array;
  contentType: string;
  etag: string;
  svg: boolean;
  /** Response headers, built once when the entry is cached. */
  headers?: Record<string, string>;
  /** The stamp of the site state the entry was filled under (see SiteCache). */
  stamp?: number;
}

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const enc = new TextEncoder();

/** What one cached entry costs beyond its body: the key, the entry object and its header record. */
const ENTRY_OVERHEAD_BYTES = 1024;
/** The key of a site's one shared "not found" entry: no real path can contain a NUL. */
const NOT_FOUND_KEY = '\u0000404';

interface SiteState {
  gen: number;
  dbGen: number;
  /** Unique per filled state: entries carrying another stamp are stale (invalidated lazily). */
  stamp: number;
}

/**
 * What each site serves, by project and request path. Every entry carries the generation it was
 * built at and is used only while that generation is current: invalidation is exact (no TTL).
 * Generations come from, in order of preference:
 * - SQLite in a data folder: the change signal file (one pread per request), which every process
 *   on the database rewrites after each committed change, so `serve --workers N` and a `sitepub mcp`
 *   beside `serve` see each other's writes at once; a check of the database's own per-site
 *   generation every few seconds covers writers that never signalled (a crash between commit and
 *   signal, an import, a hand edit);
 * - several instances on PostgreSQL: the site's generation in the database (one indexed read);
 * - otherwise (one process, in-memory database): this process's own writes.
 *
 * Memory is bounded by true size (body, key and a fixed overhead per entry) in one LRU, so a flood
 * of requests evicts the least used entries instead of growing the process or flushing every site.
 * Entries are keyed by the decoded request path, so percent-encoded or slash-padded spellings of
 * one path share one entry, and a path that serves nothing never gets an entry of its own: each
 * site has one shared "not found" entry.
 */
export class SiteCache {
  private readonly sites = new Map<string, SiteState>();
  private readonly entries: LRUCache<string, Entry>;
  private readonly localGen = new Map<string, number>();
  private stamps = 0;
  private lastSignal = -1;
  private epoch = 0;
  private turnEpoch = -1;
  private readonly endTurn = (): void => {
    this.turnEpoch = -1;
  };
  private readonly audit?: ReturnType<typeof setInterval>;
  private readonly maxEntryBytes: number;

  constructor(
    private readonly core: Core,
    private readonly crossInstance: boolean,
    maxBytes = 64 * 1024 * 1024,
    auditMs = 3000,
  ) {
    this.maxEntryBytes = maxBytes / 8;
    this.entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e, key) => e.body.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES });
    core.bus.on((projectId) => {
      this.localGen.set(projectId, (this.localGen.get(projectId) ?? 0) + 1);
      this.drop(projectId);
    });
    if (core.db.changes) {
      this.audit = setInterval(() => this.auditGenerations(), auditMs);
      this.audit.unref();
    }
  }

  /** Bytes held, as the LRU counts them (bodies, keys and per-entry overhead). */
  get size(): number {
    return this.entries.calculatedSize;
  }

  /** How many entries are held. */
  get count(): number {
    return this.entries.size;
  }

  generation(projectId: string): number | Promise<number> {
    const signal = this.core.db.changes;
    if (signal) {
      // Read once per turn of the event loop (a pread per request cost a fifth of the 10 KB page
      // rate with two workers). Still exact for every request sent after a write was answered: the
      // request's bytes arrived before this turn's poll returned, so after the writer had signalled,
      // and the signal is read after that poll. (Left out: an HTTP/1.1 pipelined request queued on a
      // connection already ready for an earlier request; browsers do not pipeline.)
      if (this.turnEpoch >= 0) return this.turnEpoch;
      setImmediate(this.endTurn);
      const v = signal.read();
      if (v !== this.lastSignal) {
        this.lastSignal = v;
        this.epoch++;
      }
      this.turnEpoch = this.epoch;
      return this.epoch;
    }
    return this.crossInstance ? readGeneration(this.core.db, projectId) : (this.localGen.get(projectId) ?? 0);
  }

  /** The site's generation in the database as a fill begins (signal mode), for the audit. */
  dbGenerationBeforeFill(projectId: string): number {
    const g = this.core.db.changes ? readGeneration(this.core.db, projectId) : -1;
    return typeof g === 'number' ? g : -1;
  }

  /** Drops sites whose database generation moved without a signal (see the class comment). */
  auditGenerations(): void {
    try {
      for (const [id, p] of this.sites) {
        const g = readGeneration(this.core.db, id);
        // A transaction is open on the handle: its generation is not settled; look again next round.
        if (typeof g === 'number' && g !== p.dbGen) this.drop(id);
      }
    } catch {
      // The database was closed under a cache nobody closed: nothing left to audit.
      this.clear();
      this.close();
    }
  }

  close(): void {
    if (this.audit) clearInterval(this.audit);
  }

  /** The entry for a decoded path (see `cacheKeyOf`), or the site's "not found" entry with `NOT_FOUND_KEY`. */
  get(projectId: string, gen: number, key: string): Entry | undefined {
    const s = this.sites.get(projectId);
    if (!s || s.gen !== gen) return undefined;
    const e = this.entries.get(`${projectId}/${key}`);
    return e && e.stamp === s.stamp ? e : undefined;
  }

  /** `dbGen` is the database generation read before the entry's content was. */
  set(projectId: string, gen: number, key: string, e: Entry, dbGen: number): void {
    if (e.body.byteLength > this.maxEntryBytes) return;
    let s = this.sites.get(projectId);
    if (s && s.gen > gen) return;
    if (!s || s.gen < gen) {
      this.sites.set(projectId, (s = { gen, dbGen, stamp: ++this.stamps }));
    } else if (dbGen !== s.dbGen) {
      s.dbGen = Math.min(s.dbGen, dbGen); // the audit then drops the site unless both are current
    }
    e.stamp = s.stamp;
    this.entries.set(`${projectId}/${key}`, e);
  }

  /** Forgets a site: its entries carry a stamp no state has any more and are evicted as the LRU needs room. */
  private drop(projectId: string): void {
    this.sites.delete(projectId);
  }

  clear(): void {
    this.sites.clear();
    this.entries.clear();
  }
}

/** Slugs to try for a request path: exact, then "index.html" for folders, then "x.html" for /x. */
function candidates(path: string): string[] {
  if (path === '' || path.endsWith('/')) return [`${path}index.html`];
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last.includes('.') ? [path] : [path, `${path}.html`, `${path}/index.html`];
}

function decodePath(rawPath: string): string | null {
  try {
    return rawPath
      .replace(/^\/+/, '')
      .split('/')
      .map((s) => decodeURIComponent(s))
      .join('/')
      .normalize('NFC');
  } catch {
    return null;
  }
}

/**
 * The cache key of a request path: the path decoded, without leading slashes, NFC, so every
 * spelling of one path shares one entry. A plain path (no '%', one leading slash) is its own key,
 * so a cache hit decodes nothing. Null for a path that cannot be decoded (it serves nothing).
 */
export function cacheKeyOf(rawPath: string): string | null {
  if (rawPath.indexOf('%') < 0 && rawPath.charCodeAt(1) !== 47 && isAscii(rawPath)) return rawPath.slice(1);
  return decodePath(rawPath);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** What a decoded path serves: a page, then a public asset, for each candidate slug; undefined when nothing. */
async function resolve(core: Core, project: Project, path: string): Promise<Entry | undefined> {
  for (const slug of candidates(path)) {
    const page = await core.pages.published(project.id, slug);
    if (page) {
      return { status: 200, body: enc.encode(page.content), contentType: 'text/html; charset=utf-8', etag: `"p-${page.version_hash}"`, svg: false };
    }
    const asset = await core.assets.content(project.id, slug);
    if (asset && asset.row.private === 0) {
      return {
        status: 200,
        body: asset.data,
        contentType: asset.row.content_type,
        etag: `"a-${asset.row.sha256.slice(0, 24)}"`,
        svg: asset.row.content_type.startsWith('image/svg'),
      };
    }
  }
  return undefined;
}

/** The site's one "not found" answer: its own 404.html when it has one. */
async function notFoundEntry(core: Core, project: Project): Promise<Entry> {
  const custom = await core.pages.published(project.id, '404.html');
  const body = custom?.content ?? notFoundHtml(project);
  return { status: 404, body: enc.encode(body), contentType: 'text/html; charset=utf-8', etag: '', svg: false };
}

function notFoundHtml(project: Project): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title><meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1rem"><h1>Page not found</h1>
<p>There is nothing at this address on ${escapeHtml(project.domain)}.</p><p><a href="/">Go to the home page</a></p></body></html>`;
}

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
    const dbGen = cache.dbGenerationBeforeFill(project.id);
    entry = key === null ? undefined : await resolve(core, project, key);
    if (entry) cache.set(project.id, gen, key!, entry, dbGen);
    else {
      // Unknown paths share the site's one "not found" entry: a flood of random paths costs lookups, never memory.
      entry = cache.get(project.id, gen, NOT_FOUND_KEY);
      if (!entry) cache.set(project.id, gen, NOT_FOUND_KEY, (entry = await notFoundEntry(core, project)), dbGen);
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
