/**
 * Where a request goes, decided once from its Host, method and URL, for both entry points: the
 * Node listener (which answers sites and download links straight from the socket) and the Hono
 * app (everything else, and `app.request()` in tests). `{sub}.{siteDomain}` is a published site
 * and nothing else (no API, no MCP, no private files); the platform hosts serve MCP, REST and
 * download links; a verified custom domain is the site of its project; any other Host is refused
 * (DNS rebinding).
 */
export type Route =
  /** `host` is the Host's name without port (a click from the same host is no referrer). */
  | { to: 'site'; subdomain: string; host: string }
  /** GET or HEAD of a download link on a platform host (POST goes through the platform's router). */
  | { to: 'download'; token: string; query: string | undefined }
  | { to: 'platform' }
  | { to: 'refused'; host: string };

export type Router = (hostHeader: string | undefined, method: string, url: string) => Route;

export function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 ? h.slice(0, colon) : h).replace(/\.$/, '');
}

/** The path and query of a request URL as sent (origin-form `/x?y`, or absolute-form from tests' `app.request`). */
export function pathOfUrl(url: string): string {
  if (url.startsWith('/')) return url;
  const i = url.indexOf('/', url.indexOf('//') + 2);
  return i < 0 ? '/' : url.slice(i);
}

/** Verified custom domains: the subdomain of the project each serves, from memory (src/core/domains). */
export interface CustomDomains {
  subdomainFor(host: string): string | undefined;
}

const NO_DOMAINS: CustomDomains = { subdomainFor: () => undefined };

export function createRouter(siteDomain: string, allowedHosts: ReadonlySet<string>, domains: CustomDomains = NO_DOMAINS): Router {
  const siteSuffix = `.${siteDomain}`;
  return (hostHeader, method, url) => {
    const host = hostnameOf(hostHeader);
    if (host.endsWith(siteSuffix)) {
      const subdomain = host.slice(0, -siteSuffix.length);
      if (subdomain && !subdomain.includes('.')) return { to: 'site', subdomain, host };
    }
    if (!allowedHosts.has(host)) {
      const subdomain = domains.subdomainFor(host);
      return subdomain === undefined ? { to: 'refused', host } : { to: 'site', subdomain, host };
    }
    if ((method === 'GET' || method === 'HEAD') && url.startsWith('/d/')) {
      const q = url.indexOf('?');
      // Tokens are base64url: nothing to decode.
      return { to: 'download', token: url.slice(3, q < 0 ? undefined : q), query: q < 0 ? undefined : url.slice(q + 1) };
    }
    return { to: 'platform' };
  };
}
