import type { Context } from 'hono';
import type { Core } from '../core/core.js';
import type { Project } from '../core/projects.js';
import { escapeHtml } from './respond.js';

interface Entry {
  status: 200 | 404;
  body: Uint8Array;
  contentType: string;
  etag: string;
  svg: boolean;
}

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
const enc = new TextEncoder();

/**
 * What each site serves, by project and request path, built on first request and dropped for the
 * whole project on any write to it (exact invalidation: no TTL, never stale in this process).
 */
export class SiteCache {
  private readonly projects = new Map<string, Map<string, Entry>>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(projectId: string, path: string): Entry | undefined {
    return this.projects.get(projectId)?.get(path);
  }

  set(projectId: string, path: string, e: Entry): void {
    if (e.body.byteLength > this.maxBytes / 8) return;
    let m = this.projects.get(projectId);
    if (!m) this.projects.set(projectId, (m = new Map()));
    m.set(path, e);
    this.bytes += e.body.byteLength;
    if (this.bytes > this.maxBytes) this.clear();
  }

  invalidate(projectId: string): void {
    const m = this.projects.get(projectId);
    if (!m) return;
    for (const e of m.values()) this.bytes -= e.body.byteLength;
    this.projects.delete(projectId);
  }

  clear(): void {
    this.projects.clear();
    this.bytes = 0;
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

async function resolve(core: Core, project: Project, path: string): Promise<Entry> {
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

export async function serveSite(c: Context, core: Core, cache: SiteCache, subdomain: string): Promise<Response> {
  const method = c.req.method;
  if (method !== 'GET' && method !== 'HEAD') {
    return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  const project = await core.projects.findBySubdomain(subdomain);
  if (!project) {
    return new Response('<!doctype html><title>No site</title><h1>No site here</h1>', {
      status: 404,
      headers: { 'Content-Type': 'text/html; charset=utf-8', ...BASE_HEADERS },
    });
  }
  const url = c.req.url;
  const q = url.indexOf('?');
  const rawPath = url.slice(url.indexOf('/', url.indexOf('//') + 2), q < 0 ? undefined : q);
  const path = decodePath(rawPath);
  let entry = path === null ? undefined : cache.get(project.id, path);
  if (!entry) {
    entry = path === null ? { status: 404, body: enc.encode(notFoundHtml(project)), contentType: 'text/html; charset=utf-8', etag: '', svg: false } : await resolve(core, project, path);
    if (path !== null) cache.set(project.id, path, entry);
  }
  const headers: Record<string, string> = { ...BASE_HEADERS, 'Content-Type': entry.contentType };
  if (entry.svg) headers['Content-Security-Policy'] = SVG_CSP;
  if (entry.etag) {
    headers.ETag = entry.etag;
    const inm = c.req.header('if-none-match');
    if (inm && inm.split(',').some((t) => t.trim() === entry.etag || t.trim() === `W/${entry.etag}`)) {
      return new Response(null, { status: 304, headers: { ETag: entry.etag, 'Cache-Control': BASE_HEADERS['Cache-Control'] } });
    }
  }
  headers['Content-Length'] = String(entry.body.byteLength);
  return new Response(method === 'HEAD' ? null : (entry.body as Uint8Array<ArrayBuffer>), { status: entry.status, headers });
}
