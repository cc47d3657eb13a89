import type { Scope } from '../projects.js';

/** Read-only tools (readOnlyHint): list and read pages, assets, download links and stats. */
export const SCOPE_READ = 'sitepub:read';
/** Every tool; implies sitepub:read. */
export const SCOPE_WRITE = 'sitepub:write';
export const SCOPES_SUPPORTED: readonly string[] = [SCOPE_READ, SCOPE_WRITE];

const FULL = `${SCOPE_READ} ${SCOPE_WRITE}`;

/**
 * The scope a grant gets for a requested `scope` parameter: write (which implies read) if asked
 * for, read alone if only read was asked for. Scopes sitepub does not know (`openid`,
 * `offline_access`, ...) are ignored, as RFC 6749 section 3.3 allows; a request naming none of
 * ours gets both, which the owner sees on the consent page before approving.
 */
export function grantedScope(requested: string | undefined): string {
  const asked = new Set((requested ?? '').split(' ').filter(Boolean));
  if (asked.has(SCOPE_WRITE)) return FULL;
  if (asked.has(SCOPE_READ)) return SCOPE_READ;
  return FULL;
}

/**
 * Whether a refresh may ask for `requested` (RFC 6749 section 6: never more than the grant holds).
 * The tokens keep the grant's scope, which the response states.
 */
export function scopeWithin(granted: string, requested: string | undefined): boolean {
  const asked = (requested ?? '').split(' ').filter(Boolean);
  return !asked.includes(SCOPE_WRITE) || actorScope(granted) === 'write';
}

/** What an actor of this grant may do: write when the grant holds sitepub:write. */
export function actorScope(scope: string): Scope {
  return scope.split(' ').includes(SCOPE_WRITE) ? 'write' : 'read';
}

/** For the consent page: what each scope lets the client do, in plain words. */
export function describeScope(scope: string): string[] {
  return actorScope(scope) === 'write'
    ? ['read the pages, assets and download links of the project', 'create, change and delete pages and assets, and make and revoke download links']
    : ['read the pages, assets and download links of the project (no changes)'];
}
