import type { Grant } from '../core/downloads.js';
import { toErrorBody, type ErrorType } from '../core/errors.js';
import { escapeHtml, humanPage } from './respond.js';
import type { Reply } from './reply.js';

/** Headers of every answer a download link gives: the file, a page or a redirect. */
export const DOWNLOAD_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'private, no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
  'Referrer-Policy': 'no-referrer',
});

/** Why a link was refused, for the person who clicked it (a model reads the core's messages instead). */
const REASON_TEXT: Partial<Record<ErrorType, string>> = {
  TOKEN_INVALID: 'This download link is not valid.',
  TOKEN_REVOKED: 'This download link has been revoked by the seller.',
  TOKEN_EXPIRED: 'This download link has expired.',
  TOKEN_EXHAUSTED: 'This download link has been used the maximum number of times.',
  TOKEN_WRONG_VISITOR: 'This download link belongs to another customer.',
  NOT_FOUND: 'The file behind this link is not available right now. Nothing was used up: try again later, or ask the seller.',
};

const humanReason = (type: ErrorType): string => REASON_TEXT[type] ?? 'This download link cannot be used.';

const enc = new TextEncoder();

function page(status: number, title: string, html: string, extra: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', ...DOWNLOAD_SECURITY_HEADERS, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'", ...extra },
    body: enc.encode(humanPage(title, html)),
  };
}

/** The answer to a refused link: a redirect the token asked for, or a page saying why. */
export function refusalPage(e: unknown, method: string): Reply {
  const body = toErrorBody(e);
  if (body.type === 'RATE_LIMITED') {
    return page(429, 'Too many attempts', '<p>Too many failed attempts from your network. Please wait a moment and try again.</p>', { 'Retry-After': String(body.retry_after ?? 60) });
  }
  if (typeof body.redirect_url === 'string' && method !== 'HEAD') {
    return { status: 302, headers: { Location: body.redirect_url, ...DOWNLOAD_SECURITY_HEADERS }, body: null };
  }
  if (body.type === 'INTERNAL') return page(500, 'Something went wrong', '<p>The download could not be started. Please try again later.</p>');
  const title = body.type === 'TOKEN_INVALID' || body.type === 'NOT_FOUND' ? 'Link not found' : 'Link not available';
  return page(body.code === 404 ? 404 : 403, title, `<p>${escapeHtml(humanReason(body.type))}</p><p class="muted">If you bought this file, ask the seller for a new link.</p>`);
}

/** The page of a token that asks for confirmation: a Download button that POSTs back to the link. */
export function confirmationPage(g: Grant, visitorId: string | null): Reply {
  const hidden = visitorId ? `<input type="hidden" name="visitor_id" value="${escapeHtml(visitorId)}">` : '';
  const left = g.remaining_uses === null ? '' : `Downloads left: ${g.remaining_uses}. `;
  const until = g.token.expires_at ? `Valid until ${escapeHtml(g.token.expires_at.replace('T', ' ').slice(0, 16))} UTC.` : '';
  return page(
    200,
    'Your download',
    `<p>${escapeHtml(g.token.filename)}</p><form method="post">${hidden}<button type="submit">Download</button></form><p class="muted">${left}${until}</p>`,
  );
}

/** What a link preview (chat unfurler, prefetch) sees: nothing consumed, nothing to show. */
export const previewPage = (): Reply => page(200, 'A file download link', '<p>Open this link in a browser to download the file.</p>');

/** A POST far larger than the confirmation form: refused without reading it. */
export const formTooLargePage = (): Reply => page(413, 'Request too large', '<p>This download form sends only a few bytes; the request was far larger and was not processed.</p>');
