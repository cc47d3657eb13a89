import { OAUTH_POLICY } from './policy.js';

/** Hosts of `http:` redirect URIs: only this machine (RFC 8252 loopback redirection). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Schemes never accepted, whatever the client says: they run code or read local data in the
 * browser (`javascript:`, `data:`, ...), or are not redirect targets at all.
 */
const REFUSED_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'filesystem:',
  'view-source:',
  'ftp:',
  'ws:',
  'wss:',
  'mailto:',
  'tel:',
  'sms:',
]);

/**
 * Why a redirect URI cannot be registered, or undefined when it can: https to any host; http only
 * to a loopback host (any port: the native app's own listener); a private-use scheme of a native
 * app (`cursor://...`, `vscode://...`, `com.example.app:/cb`). Never a fragment, credentials,
 * `javascript:`, `data:` and the like.
 */
export function redirectUriProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return 'a redirect URI must be a non-empty string';
  if (raw.length > OAUTH_POLICY.maxRedirectUriLength) return `a redirect URI may be at most ${OAUTH_POLICY.maxRedirectUriLength} characters`;
  if (/[\u0000-\u0020\u007f]/.test(raw)) return 'a redirect URI may not contain spaces or control characters';
  if (raw.includes('#')) return `${raw} has a fragment (#...), which redirect URIs may not have`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `${raw} is not an absolute URI`;
  }
  if (u.username || u.password) return `${raw} contains credentials`;
  if (REFUSED_SCHEMES.has(u.protocol)) return `the ${u.protocol} scheme is never a redirect target`;
  if (u.protocol === 'https:') return u.hostname ? undefined : `${raw} has no host`;
  if (u.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(u.hostname) ? undefined : `${raw} uses http to a host other than this machine (127.0.0.1, localhost, [::1]); use https`;
  }
  // A private-use scheme (RFC 8252 section 7.1): a native app claims it.
  return /^[a-z][a-z0-9+.-]*:$/.test(u.protocol) ? undefined : `${raw} has an invalid scheme`;
}

function loopbackWithoutPort(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' || !LOOPBACK_HOSTS.has(u.hostname)) return undefined;
  u.port = '';
  return u.href;
}

/**
 * Whether `requested` is one of the client's `registered` redirect URIs: the same string, except
 * that a loopback http URI may name another port (RFC 8252 section 7.3: a native app gets a free
 * port when it starts). The caller binds the code to `requested` exactly.
 */
export function redirectUriRegistered(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const bare = loopbackWithoutPort(requested);
  return bare !== undefined && registered.some((r) => loopbackWithoutPort(r) === bare);
}

/** What the consent page names as where the browser goes next: the host, or the app's scheme. */
export function redirectTarget(uri: string): string {
  try {
    const u = new URL(uri);
    if (u.protocol === 'https:' || u.protocol === 'http:') return u.host;
    return `${u.protocol}// (an app on this device)`;
  } catch {
    return uri;
  }
}
