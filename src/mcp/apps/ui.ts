import { CLIENT_CAPABILITIES_META_KEY, type ClientCapabilities } from '@modelcontextprotocol/server';
import type { UrlConfig } from '../../core/config.js';

/**
 * The MCP Apps extension's names (SEP-1865, spec 2026-01-26), as `@modelcontextprotocol/ext-apps/server`
 * exports them. Written out here rather than imported: the package's server entry is these strings and
 * two helpers for McpServer (this server is built on the low-level Server), and importing it at run time
 * would make its peer `@modelcontextprotocol/client` a production dependency. test/mcp-apps.test.ts
 * checks that they still equal the package's.
 */
export const EXTENSION_ID = 'io.modelcontextprotocol/ui';
export const RESOURCE_MIME_TYPE = 'text/html;profile=mcp-app';

export const PAGE_PREVIEW_URI = 'ui://sitepub/page-preview';
export const SITE_OVERVIEW_URI = 'ui://sitepub/site-overview';

/** What a client declares under `capabilities.extensions["io.modelcontextprotocol/ui"]`. */
export interface UiCapability {
  mimeTypes?: string[];
}

/**
 * The client's MCP Apps capability, if it declared one that renders this server's views (ext-apps'
 * getUiCapability, plus the MIME type check its docs ask servers to make).
 */
export function uiCapability(caps: ClientCapabilities | undefined): UiCapability | undefined {
  const ext = (caps as { extensions?: Record<string, unknown> } | undefined)?.extensions?.[EXTENSION_ID];
  if (ext === null || typeof ext !== 'object') return undefined;
  const mimeTypes = (ext as UiCapability).mimeTypes;
  if (Array.isArray(mimeTypes) && !mimeTypes.includes(RESOURCE_MIME_TYPE)) return undefined;
  return ext as UiCapability;
}

/** An origin as a CSP source: `http://*.localhost:8787` for every site of this instance. */
function siteOrigins(urls: UrlConfig): string {
  return `${urls.siteScheme}://*.${urls.siteDomain}${urls.sitePort ? `:${urls.sitePort}` : ''}`;
}

/**
 * `_meta.ui.csp` of both views. They render page HTML through `srcdoc` (Claude ignores frameDomains and
 * allows only `frame-src 'self' blob: data:`, so the live site cannot be framed); its images, styles and
 * fonts load from the sites, and its `<base href>` is the page's URL. The views call nothing over the
 * network (no connectDomains): all data comes through the host's postMessage channel.
 */
export function appCsp(urls: UrlConfig, extraOrigins: readonly string[] = []): { resourceDomains: string[]; baseUriDomains: string[] } {
  const origins = [...new Set([siteOrigins(urls), new URL(urls.publicUrl).origin, ...extraOrigins])];
  return { resourceDomains: origins, baseUriDomains: origins };
}

/** Whether a request's client renders MCP Apps (see uiSupport). */
export type UiSupport = 'declared' | 'absent' | 'unknown';

/**
 * Whether this request's client renders MCP Apps: `declared` (it named the extension), `absent` (its
 * capabilities are known and do not), or `unknown`. On 2026-07-28 every request carries the client's
 * capabilities (`ctx.mcpReq.envelope`); a 2025-era connection told them in `initialize` (the Server
 * keeps them); a 2025-era request over stateless HTTP comes without them, as every one after the
 * handshake does, so there they are unknown.
 */
export function uiSupport(server: { getClientCapabilities(): ClientCapabilities | undefined }, ctx: { mcpReq: { envelope?: object | undefined } } | undefined): UiSupport {
  const fromEnvelope = (ctx?.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  const caps = fromEnvelope ?? server.getClientCapabilities();
  if (caps === undefined) return 'unknown';
  return uiCapability(caps) ? 'declared' : 'absent';
}
