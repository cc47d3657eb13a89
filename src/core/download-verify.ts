import type { UrlConfig } from './config.js';
import type { DownloadConsumer, Grant } from './download-consume.js';
import { downloadUrl } from './download-generate.js';
import { SitepubError } from './errors.js';
import { downloadTokenOf } from './token-input.js';
import type { Project } from './projects.js';
import type { RateLimiter, RateLimitOptions } from './rate-limit.js';

export interface VerifiedToken {
  valid: true;
  token_id: string;
  asset_url: string;
  /** A bundle's files, in order (absent for a one-file link). */
  asset_urls?: string[];
  filename: string;
  use_count: number;
  remaining_uses: number | null;
  expires_at: string | null;
  download_url: string;
}

/**
 * Guesses (TOKEN_INVALID: malformed, or no token of the project matches) allowed per credential
 * per window on verify-token. Generous: the caller is authenticated and can only reach its own
 * project's tokens, so this only keeps a runaway script from writing failure rows without end.
 */
export const VERIFY_GUESS_LIMIT: RateLimitOptions = { points: 300, windowSec: 60 };

const rateLimited = (wait: number): SitepubError =>
  new SitepubError('RATE_LIMITED', `Too many checks of tokens that do not exist with this credential; retry in ${wait} s. Refusals of real tokens (expired, used up, revoked, wrong visitor) never count.`, { retry_after: wait });

/**
 * verify-token over the API: consumes one use. Only guesses count, against the caller's
 * credential (`credential`: its API token or OAuth grant, never its address, which many shops
 * share with their buyers' traffic); `input.ip` is the buyer's address, for the record only.
 */
export async function verifyToken(
  consumer: DownloadConsumer,
  limiter: RateLimiter,
  urls: UrlConfig,
  project: Project,
  input: { token: string; visitor_id?: string | undefined; ip?: string | undefined },
  credential: string,
  bundleSlugs: (g: Grant) => Promise<string[] | undefined>,
): Promise<VerifiedToken> {
  input = { ...input, token: downloadTokenOf(input.token) };
  const key = `verify:${credential}`;
  const wait = limiter.blockedFor(key);
  if (wait > 0) throw rateLimited(wait);
  let g: Grant;
  try {
    g = await consumer.consume(input.token, { ip: input.ip ?? null, visitorId: input.visitor_id ?? null, userAgent: 'verify-token' }, { projectId: project.id });
  } catch (e) {
    if (e instanceof SitepubError && e.type === 'TOKEN_INVALID') {
      const w = await limiter.fail(key);
      if (w > 0) throw rateLimited(w);
    }
    throw e;
  }
  const slugs = await bundleSlugs(g);
  return {
    valid: true,
    token_id: g.token.id,
    asset_url: `/${g.token.asset_slug}`,
    ...(slugs ? { asset_urls: slugs.map((s) => `/${s}`) } : {}),
    filename: g.token.filename,
    use_count: g.use_count,
    remaining_uses: g.remaining_uses,
    expires_at: g.token.expires_at,
    download_url: downloadUrl(urls, input.token),
  };
}
