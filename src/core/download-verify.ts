import type { UrlConfig } from './config.js';
import type { DownloadConsumer, Grant } from './download-consume.js';
import { downloadUrl } from './download-generate.js';
import { SitepubError } from './errors.js';
import type { Project } from './projects.js';
import type { RateLimiter } from './rate-limit.js';

export interface VerifiedToken {
  valid: true;
  token_id: string;
  asset_url: string;
  filename: string;
  use_count: number;
  remaining_uses: number | null;
  expires_at: string | null;
  download_url: string;
}

const rateLimited = (wait: number): SitepubError => new SitepubError('RATE_LIMITED', `Too many failed token checks; retry in ${wait} s.`, { retry_after: wait });

/**
 * verify-token over the API: consumes one use. Failed attempts count against `clientKey` (the
 * caller's address), like failed link attempts, so the API cannot be used to guess tokens either.
 */
export async function verifyToken(
  consumer: DownloadConsumer,
  limiter: RateLimiter,
  urls: UrlConfig,
  project: Project,
  input: { token: string; visitor_id?: string | undefined; ip?: string | undefined },
  clientKey: string,
): Promise<VerifiedToken> {
  const key = `verify:${clientKey}`;
  const wait = limiter.blockedFor(key);
  if (wait > 0) throw rateLimited(wait);
  let g: Grant;
  try {
    g = await consumer.consume(input.token, { ip: input.ip ?? null, visitorId: input.visitor_id ?? null, userAgent: 'verify-token' }, { projectId: project.id });
  } catch (e) {
    if (e instanceof SitepubError && e.type.startsWith('TOKEN_')) {
      const w = await limiter.fail(key);
      if (w > 0) throw rateLimited(w);
    }
    throw e;
  }
  return {
    valid: true,
    token_id: g.token.id,
    asset_url: `/${g.token.asset_slug}`,
    filename: g.token.filename,
    use_count: g.use_count,
    remaining_uses: g.remaining_uses,
    expires_at: g.token.expires_at,
    download_url: downloadUrl(urls, input.token),
  };
}
