import { isNoindex, renderHead } from './head.js';

export interface IndexedPage {
  slug: string;
  updated_at: string;
  seo: Record<string, unknown>;
  /** The page's HTML when it mentions noindex (a robots tag to look for), else ''. */
  noindexHtml: string;
}

const escXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The path a page is served at: `/` for index.html, `/blog/` for blog/index.html, else `/slug`. */
export function pagePath(slug: string): string {
  const p = slug === 'index.html' ? '' : slug.endsWith('/index.html') ? slug.slice(0, -'index.html'.length) : slug;
  return `/${p.split('/').map(encodeURIComponent).join('/')}`;
}

/** A page a search engine should list: not the 404 page, not marked noindex in seo.robots or in its own HTML. */
export function indexable(p: IndexedPage): boolean {
  if (p.slug === '404.html') return false;
  if (typeof p.seo.robots === 'string' && isNoindex(p.seo.robots)) return false;
  return p.noindexHtml === '' || !renderHead(p.noindexHtml, {}, {}, '').noindex;
}

/** sitemap.xml (sitemaps.org 0.9) of a site's indexable pages, with each page's last change as lastmod. */
export function sitemapXml(siteUrl: string, pages: readonly IndexedPage[]): string {
  const base = siteUrl.replace(/\/$/, '');
  const urls = pages.filter(indexable).map((p) => `  <url><loc>${escXml(base + pagePath(p.slug))}</loc><lastmod>${p.updated_at.slice(0, 10)}</lastmod></url>\n`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('')}</urlset>\n`;
}

/** robots.txt that allows everything and names the sitemap. */
export function robotsTxt(siteUrl: string): string {
  return `User-agent: *\nAllow: /\n\nSitemap: ${siteUrl.replace(/\/$/, '')}/sitemap.xml\n`;
}
