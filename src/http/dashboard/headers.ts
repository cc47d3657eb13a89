import type { Context } from 'hono';
import type { UrlConfig } from '../../core/config.js';

/** Any site of this instance, as a CSP source: `http://*.localhost:8787`. */
export function siteSources(urls: UrlConfig): string {
  return `${urls.siteScheme}://*.${urls.siteDomain}${urls.sitePort ? `:${urls.sitePort}` : ''}`;
}

/**
 * The dashboard's CSP: script and style only as files from the platform origin (nothing inline, so
 * injected markup cannot run), images from the platform (thumbnails), frames only of the sites
 * (the live preview) and of the platform (an old version's preview, which carries its own sandbox
 * CSP), forms only to the platform, and never framed itself.
 */
export function dashboardCsp(urls: UrlConfig): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `frame-src 'self' ${siteSources(urls)}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers of every dashboard page: as the sign-in pages (owners/layout.ts), with the dashboard's CSP. */
export function setDashboardHeaders(c: Context, urls: UrlConfig): void {
  c.header('Content-Security-Policy', dashboardCsp(urls));
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cache-Control', 'no-store');
  c.header('X-Robots-Tag', 'noindex, nofollow');
}

/**
 * Headers for user content shown to the owner on the platform origin (an old page version, an
 * asset's bytes): a CSP `sandbox` without allow-scripts or allow-same-origin, so even opened on its
 * own in a tab it runs no script and has an opaque origin, never the platform's. `resources` lists
 * the origins it may load images, styles and fonts from (the site, for an old version's preview).
 */
export function setUserContentHeaders(c: Context, opts: { framable: boolean; resources?: string | undefined }): void {
  const from = opts.resources ? ` ${opts.resources}` : '';
  c.header(
    'Content-Security-Policy',
    [
      'sandbox',
      "default-src 'none'",
      `img-src data:${from}`,
      `style-src 'unsafe-inline'${from}`,
      `font-src${from || " 'none'"}`,
      `media-src${from || " 'none'"}`,
      opts.resources ? `base-uri${from}` : "base-uri 'none'",
      "form-action 'none'",
      opts.framable ? "frame-ancestors 'self'" : "frame-ancestors 'none'",
    ].join('; '),
  );
  // Only the dashboard may frame it.
  c.header('X-Frame-Options', opts.framable ? 'SAMEORIGIN' : 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cache-Control', 'private, no-store');
  c.header('X-Robots-Tag', 'noindex, nofollow');
}
