import { createHash } from 'node:crypto';
import type { Core } from '../core/core.js';
import type { Project } from '../core/projects.js';
import { renderHead } from '../core/sites/head.js';
import { pageIndex, publishedPage, type PublishedPage } from '../core/sites/published.js';
import { robotsTxt, sitemapXml } from '../core/sites/sitemap.js';
import { escapeHtml } from './respond.js';
import type { Entry } from './site-cache.js';
import { compressible } from './site-encoding.js';

const enc = new TextEncoder();
const HTML = 'text/html; charset=utf-8';

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

/** An asset file name that carries (a prefix of) its own content hash, such as app.3f2a9c1b.css or app-3f2a9c1b.js. */
const HASHED_NAME = /[.-]([0-9a-f]{8,64})\.[a-z0-9]+$/;

/** What `?v=` names an asset version by: the first 12 hex digits of its SHA-256 (what the asset tools return in versioned_url). */
export const assetVersion = (sha256: string): string => sha256.slice(0, 12);

function pageEntry(page: PublishedPage, siteUrl: string, status: 200 | 404): Entry {
  const served = renderHead(page.content, page.meta, page.seo, siteUrl);
  const body = enc.encode(served.html);
  return {
    status,
    body,
    contentType: HTML,
    // The served head depends on meta and seo, which the version hash covers with the content.
    etag: status === 200 ? `"p-${page.version_hash}"` : '',
    svg: false,
    noindex: served.noindex,
    page: status === 200 ? page.slug : undefined,
    compressible: compressible(HTML, body.byteLength),
  };
}

function generated(text: string, contentType: string): Entry {
  const body = enc.encode(text);
  return { status: 200, body, contentType, etag: `"g-${createHash('sha256').update(body).digest('hex').slice(0, 24)}"`, svg: false, compressible: compressible(contentType, body.byteLength) };
}

/** What a decoded path serves: a page, then a public asset, for each candidate slug; then a generated sitemap.xml or robots.txt; undefined when nothing. */
export async function resolve(core: Core, project: Project, path: string): Promise<Entry | undefined> {
  const siteUrl = siteUrlOf(project);
  for (const slug of candidates(path)) {
    const page = await publishedPage(core.db.kysely, project.id, slug);
    if (page) return pageEntry(page, siteUrl, 200);
    // Public files only (all small: 5 MB at most), so the site cache holds nothing else; a private
    // file's bytes are not even read here.
    const asset = await core.assets.content(project.id, slug, { publicOnly: true });
    if (asset?.data && asset.row.private === 0) {
      const type = asset.row.content_type;
      const m = HASHED_NAME.exec(slug);
      return {
        status: 200,
        body: asset.data,
        contentType: type,
        etag: `"a-${asset.row.sha256.slice(0, 24)}"`,
        svg: type.startsWith('image/svg'),
        version: assetVersion(asset.row.sha256),
        immutable: m !== null && asset.row.sha256.startsWith(m[1]!),
        compressible: compressible(type, asset.data.byteLength),
      };
    }
  }
  // Generated only when the owner has no page or asset of that name (checked above).
  if (path === 'sitemap.xml') return generated(sitemapXml(siteUrl, await pageIndex(core.db.kysely, project.id)), 'application/xml; charset=utf-8');
  if (path === 'robots.txt') return generated(robotsTxt(siteUrl), 'text/plain; charset=utf-8');
  return undefined;
}

/** The site's one "not found" answer: its own 404.html when it has one; on a site without pages, how to add the first. */
export async function notFoundEntry(core: Core, project: Project): Promise<Entry> {
  const custom = await publishedPage(core.db.kysely, project.id, '404.html');
  if (custom) return pageEntry(custom, siteUrlOf(project), 404);
  const pages = await core.db.kysely.selectFrom('projects').select('page_count').where('id', '=', project.id).executeTakeFirst();
  const body = enc.encode(Number(pages?.page_count ?? 0) === 0 ? emptySiteHtml(project) : notFoundHtml(project));
  return { status: 404, body, contentType: HTML, etag: '', svg: false, noindex: true, compressible: compressible(HTML, body.byteLength) };
}

/** The base URL a site's canonical links, sitemap and Open Graph URLs are written with. */
export function siteUrlOf(project: Project): string {
  return project.url;
}

const PAGE_STYLE = 'font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1rem';

function notFoundHtml(project: Project): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"></head>
<body style="${PAGE_STYLE}"><h1>Page not found</h1>
<p>There is nothing at this address on ${escapeHtml(project.domain)}.</p><p><a href="/">Go to the home page</a></p></body></html>`;
}

function emptySiteHtml(project: Project): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(project.name)}: no pages yet</title><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"></head>
<body style="${PAGE_STYLE}"><h1>No pages yet</h1>
<p>${escapeHtml(project.domain)} is ready, but nothing has been published here yet.</p>
<p>To add the home page, ask your AI assistant (connected to sitepub over MCP) to create a page with the slug <code>index.html</code>, for example: <em>"Create a home page for my site."</em> It calls <code>pages_create</code>, and the page is live here at once.</p></body></html>`;
}

/** The answer for a site address no project has: a page for people, 404, never indexed. */
export function noSiteHtml(host: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>No site here</title><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"></head>
<body style="${PAGE_STYLE}"><h1>No site here</h1>
<p>No site is published at ${escapeHtml(host)}. Check the address for a typo; if this is your site, its subdomain or custom domain may have changed or not be verified yet.</p></body></html>`;
}
