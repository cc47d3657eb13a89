import { isSitepubError } from '../errors.js';
import { safeFetch, type SafeFetchOptions } from '../net/safe-fetch.js';

/** How the authorization server reaches the network: the SSRF-safe fetch's policy (tests allow a loopback server). */
export type OAuthFetchPolicy = Pick<SafeFetchOptions, 'allowAddresses' | 'lookup' | 'ca'>;

/** A document could not be had: `reason` says why in a few words, for an error page or description. */
export class DocumentFetchError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DocumentFetchError';
  }
}

/**
 * Fetches a JSON object from an https URL a client named (its client_id or jwks_uri) through the
 * SSRF-safe fetch: only public addresses (checked at connect time), no redirects, size and time
 * capped while streaming. Nothing of the answer but the parsed object leaves here.
 */
export async function fetchJsonDocument(url: string, limits: { maxBytes: number; timeoutMs: number }, policy: OAuthFetchPolicy): Promise<Record<string, unknown>> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DocumentFetchError('it is not a valid URL');
  }
  if (u.protocol !== 'https:') throw new DocumentFetchError('only https URLs are fetched');
  let bytes: Buffer;
  try {
    ({ bytes } = await safeFetch(url, { maxBytes: limits.maxBytes, timeoutMs: limits.timeoutMs, maxRedirects: 0, userAgent: 'sitepub-oauth/0.1', ...policy }));
  } catch (e) {
    if (!isSitepubError(e)) throw e;
    if (e.type === 'SOURCE_URL_BLOCKED') throw new DocumentFetchError('its host is not a public internet address');
    if (e.type === 'PAYLOAD_TOO_LARGE') throw new DocumentFetchError(`it is larger than ${limits.maxBytes} bytes`);
    // safeFetch's message names the URL and the cause (status, timeout, redirect); keep the cause only.
    const cause = /: ([^.]*)\./.exec(e.message)?.[1] ?? 'the request failed';
    throw new DocumentFetchError(cause.startsWith('more than 0 redirects') ? 'it redirects elsewhere (the document must be at the URL itself)' : cause);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DocumentFetchError('it is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new DocumentFetchError('it is not a JSON object');
  return doc as Record<string, unknown>;
}
