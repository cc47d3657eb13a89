import type { Context } from 'hono';
import { escapeHtml } from '../respond.js';

/**
 * The frame of every page a person sees on the platform origin (sign-in, consent, dashboard):
 * server-rendered, no script at all, readable on a phone. Its headers forbid framing
 * (clickjacking of a sign-in or consent form) and any script, and keep the pages out of caches
 * and out of search engines.
 */
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:8vh auto;padding:0 1rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input,select{font:inherit;width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #888;border-radius:.35rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #333;background:#111;color:#fff;cursor:pointer;margin:1rem .5rem 0 0}
button.secondary{background:#fff;color:#111}:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
.error{border-left:4px solid #b91c1c;background:#fef2f2;padding:.6rem .8rem}.muted{color:#555;font-size:.9rem}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.2rem;word-break:break-all}ul{padding-left:1.2rem}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap;margin-bottom:1.5rem}
header form button{margin:0}`;

/**
 * `form-action` is left open on purpose: an OAuth consent form posts here and is answered with a
 * redirect to the client's own redirect URI, which browsers check against `form-action` too.
 * Every form on these pages posts to the platform origin.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

/** Headers for every platform page a person sees. */
export function setPageHeaders(c: Context): void {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  // Sign-in link tokens travel in URLs: never in a Referer.
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cache-Control', 'no-store');
  c.header('X-Robots-Tag', 'noindex, nofollow');
}

/** A whole page; `bodyHtml` is already escaped by the caller. */
export function platformPage(title: string, bodyHtml: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${escapeHtml(title)} · sitepub</title><style>${STYLE}</style></head>
<body><main>${bodyHtml}</main></body></html>`;
}

/** A page response with the platform page headers. */
export function page(c: Context, title: string, bodyHtml: string, status: 200 | 400 | 401 | 403 | 404 | 410 | 429 = 200): Response {
  setPageHeaders(c);
  return c.html(platformPage(title, bodyHtml), status);
}

export const hidden = (name: string, value: string): string => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
