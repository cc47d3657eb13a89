import type { Core } from '../core/core.js';
import type { Project } from '../core/projects.js';
import { escapeHtml } from './respond.js';
import type { Entry } from './site-cache.js';

const enc = new TextEncoder();

/** The key of a site's one shared "not found" entry: no real path can contain a NUL. */
export const NOT_FOUND_KEY = '\u0000404';

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
export async function resolve(core: Core, project: Project, path: string): Promise<Entry | undefined> {
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
export async function notFoundEntry(core: Core, project: Project): Promise<Entry> {
  const custom = await core.pages.published(project.id, '404.html');
  const body = custom?.content ?? notFoundHtml(project);
  return { status: 404, body: enc.encode(body), contentType: 'text/html; charset=utf-8', etag: '', svg: false };
}

function notFoundHtml(project: Project): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title><meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1rem"><h1>Page not found</h1>
<p>There is nothing at this address on ${escapeHtml(project.domain)}.</p><p><a href="/">Go to the home page</a></p></body></html>`;
}
