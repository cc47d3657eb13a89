import type { Context } from 'hono';
import { toErrorBody } from '../core/errors.js';

/** The REST envelope for a failure; the one place HTTP maps domain errors. */
export function errorJson(c: Context, e: unknown): Response {
  const body = toErrorBody(e);
  const headers: Record<string, string> = {};
  if (body.type === 'UNAUTHORIZED') headers['WWW-Authenticate'] = 'Bearer realm="sitepub"';
  if (typeof body.retry_after === 'number') headers['Retry-After'] = String(body.retry_after);
  return c.json({ success: false, error: body }, body.code as 400, headers);
}

export function bearer(c: Context): string | undefined {
  const h = c.req.header('authorization');
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => ESC[ch]!);

/** A small, script-free human page for refusals, previews and confirmations. */
export function humanPage(title: string, bodyHtml: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #555;background:#111;color:#fff;cursor:pointer}.muted{color:#666;font-size:.9rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${bodyHtml}</body></html>`;
}
