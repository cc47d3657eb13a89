import { createHash } from 'node:crypto';

/** RFC 7636: a verifier is 43 to 128 unreserved characters; an S256 challenge is 43 base64url characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export const isS256Challenge = (challenge: string): boolean => CHALLENGE.test(challenge);

/** Whether `verifier` is the one the S256 `challenge` was made from. */
export function pkceMatches(challenge: string, verifier: unknown): boolean {
  if (typeof verifier !== 'string' || !VERIFIER.test(verifier)) return false;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}
