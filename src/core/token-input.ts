import { invalid } from './errors.js';
import { TOKEN_PREFIX } from './ids.js';

/** A download token (spd_, 43 base64url characters, _, 7-character check) inside any text. */
const TOKEN_IN_TEXT = new RegExp(`(?:^|/d/)(${TOKEN_PREFIX.download}[A-Za-z0-9_-]{43}_[0-9a-z]{7})(?=$|[?#/])`);

/**
 * The download token a caller meant. Models (and people) often pass the whole link instead of the
 * token: `http://host/d/spd_...`, `/d/spd_...`, with a query or fragment, in quotes or angle
 * brackets. The token is taken from such a link; a link without one is refused with a
 * VALIDATION_ERROR that says what to pass; anything else is returned unchanged (the token's own
 * shape and checksum check then decides).
 */
export function downloadTokenOf(value: string): string {
  const bare = value.trim().replace(/^[<"'`]+|[>"'`]+$/g, '');
  const m = TOKEN_IN_TEXT.exec(bare);
  if (m) return m[1]!;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(bare) || bare.startsWith('/d/')) {
    throw invalid(
      `token: this is a URL, not a download token. Pass the token itself: the part of the download_url after /d/, starting with ${TOKEN_PREFIX.download} (or pass token_id where the tool takes it).`,
      { field: 'token' },
    );
  }
  return value;
}
