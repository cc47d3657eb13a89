import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, type ReadResourceResult, type Resource, type ResourceLink, type Server } from '@modelcontextprotocol/server';
import { SitepubError } from '../core/errors.js';
import type { Project } from '../core/projects.js';
import { invokeTool, type Caller } from '../../tools/invoke.js';
import { ALL_TOOLS } from '../../tools/index.js';
import { appResources, isAppResourceUri, readAppResource } from './apps/catalog.js';
import { PAGE_PREVIEW_URI, SITE_OVERVIEW_URI, uiSupport } from './apps/ui.js';
import { handle } from './params.js';

/** Pages and assets as MCP resources: `sitepub://{project_id}/pages/{slug}` and `.../assets/{slug}`. */
export const PAGE_URI_TEMPLATE = 'sitepub://{project_id}/pages/{slug}';
export const ASSET_URI_TEMPLATE = 'sitepub://{project_id}/assets/{slug}';

const encodeSlug = (slug: string): string => slug.split('/').map(encodeURIComponent).join('/');

export const pageUri = (projectId: string, slug: string): string => `sitepub://${projectId}/pages/${encodeSlug(slug)}`;
export const assetUri = (projectId: string, slug: string): string => `sitepub://${projectId}/assets/${encodeSlug(slug)}`;

export function pageLink(project: Project, p: { slug: string; title?: string | null }): ResourceLink {
  return { type: 'resource_link', uri: pageUri(project.id, p.slug), name: p.slug, ...(p.title ? { title: p.title } : {}), mimeType: 'text/html' };
}

export function assetLink(project: Project, a: { slug: string; content_type: string }): ResourceLink {
  return { type: 'resource_link', uri: assetUri(project.id, a.slug), name: a.slug, mimeType: a.content_type };
}

function parseUri(uri: string): { projectId: string; kind: 'pages' | 'assets'; slug: string } {
  const m = /^sitepub:\/\/([^/]+)\/(pages|assets)\/(.+)$/.exec(uri);
  // Not one of ours: no such resource (-32602 with the URI in data, as for a missing page).
  if (!m) throw new ResourceNotFoundError(uri, `Not a sitepub resource URI: ${uri}. Expected ${PAGE_URI_TEMPLATE} or ${ASSET_URI_TEMPLATE}.`);
  try {
    return { projectId: decodeURIComponent(m[1]!), kind: m[2] as 'pages' | 'assets', slug: m[3]!.split('/').map(decodeURIComponent).join('/') };
  } catch {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Malformed percent-encoding in ${uri}`);
  }
}

const PAGE_SIZE = 200;
/** The largest offset a cursor may carry: the `offset` bound of the list tools. */
const MAX_CURSOR_OFFSET = 1_000_000_000;

/**
 * The offset in a resources/list cursor. Cursors are the decimal offsets this server issues; any
 * other string is refused rather than guessed at (parseInt read "1e3" as 1, and an offset past
 * 2^63 reached the database, which failed with an internal error).
 */
function cursorOffset(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (/^(0|[1-9][0-9]{0,9})$/.test(cursor) && Number(cursor) <= MAX_CURSOR_OFFSET) return Number(cursor);
  const shown = cursor.length > 40 ? `${cursor.slice(0, 40)}... (${cursor.length} characters)` : cursor;
  throw new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Invalid resources/list cursor ${JSON.stringify(shown)}: it is not one this server issued. Pass the nextCursor of the previous resources/list answer unchanged, or omit cursor to start from the beginning.`,
  );
}

/**
 * Maps domain errors to JSON-RPC errors (resources have no isError result). A missing resource is
 * -32602 with the URI in data (2026-07-28; the SDK's ResourceNotFoundError), on both protocol eras.
 */
function rpcError(e: unknown, uri?: string): never {
  if (e instanceof ProtocolError) throw e;
  if (e instanceof SitepubError) {
    if (e.type === 'NOT_FOUND' && uri !== undefined) {
      throw new ResourceNotFoundError(uri, `Resource not found: ${uri}. ${e.message}; resources/list shows what exists.`);
    }
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${e.type}: ${e.message}`);
  }
  throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error');
}

const PAGES_GET = ALL_TOOLS.find((t) => t.name === 'pages_get')!;
const ASSETS_GET = ALL_TOOLS.find((t) => t.name === 'assets_get')!;

const TEMPLATES = {
  resourceTemplates: [
    { uriTemplate: PAGE_URI_TEMPLATE, name: 'page', title: 'Page HTML', description: 'Current HTML of a page of a sitepub site', mimeType: 'text/html' },
    { uriTemplate: ASSET_URI_TEMPLATE, name: 'asset', title: 'Asset', description: 'A file of a sitepub site (text or base64 blob)' },
  ],
};

export function registerResources(server: Server, caller: Caller): void {
  const { core, actor, defaultProjectId } = caller;
  handle(server, 'resources/templates/list', () => TEMPLATES);

  // Lists the default project's pages, then its assets; the cursor is an offset over both. A client
  // that declared MCP Apps finds the views first on the first page (hosts find them through the
  // tools' _meta too, so no other client is shown them).
  handle(server, 'resources/list', async (params, ctx) => {
    const offset = cursorOffset(params?.cursor);
    try {
      const project = await core.projects.authorize(actor, undefined, defaultProjectId, false);
      const pages = await core.pages.list(project, PAGE_SIZE, offset);
      const resources: Resource[] = params?.cursor === undefined && uiSupport(server, ctx) === 'declared' ? appResources(core.urls) : [];
      for (const p of pages.pages) resources.push({ uri: pageUri(project.id, p.slug), name: p.slug, ...(p.title ? { title: p.title } : {}), mimeType: 'text/html', size: p.size_bytes });
      if (pages.pages.length < PAGE_SIZE) {
        const assetOffset = Math.max(0, offset - pages.total);
        const assets = await core.assets.list(project, PAGE_SIZE - pages.pages.length, assetOffset);
        for (const a of assets.assets) resources.push({ uri: assetUri(project.id, a.slug), name: a.slug, mimeType: a.content_type, size: a.size_bytes });
        const next = pages.total + assetOffset + assets.assets.length;
        return next < pages.total + assets.total ? { resources, nextCursor: String(next) } : { resources };
      }
      return { resources, nextCursor: String(offset + pages.pages.length) };
    } catch (e) {
      return rpcError(e);
    }
  });

  // Completes {slug} in the URI templates from the default project's pages or assets.
  handle(server, 'completion/complete', async (params) => {
    const empty = { completion: { values: [] as string[], total: 0, hasMore: false } };
    const ref = params.ref;
    if (ref.type !== 'ref/resource' || params.argument.name !== 'slug') return empty;
    const kind = ref.uri === PAGE_URI_TEMPLATE ? 'pages' : ref.uri === ASSET_URI_TEMPLATE ? 'assets' : null;
    if (!kind) return empty;
    try {
      const project = await core.projects.authorize(actor, params.context?.arguments?.project_id, defaultProjectId, false);
      const prefix = params.argument.value;
      const slugs = kind === 'pages' ? (await core.pages.list(project, 1000, 0)).pages.map((p) => p.slug) : (await core.assets.list(project, 1000, 0)).assets.map((a) => a.slug);
      const values = slugs.filter((s) => s.startsWith(prefix));
      return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } };
    } catch {
      return empty;
    }
  });

  handle(server, 'resources/read', async (params): Promise<ReadResourceResult> => {
    const uri = params.uri;
    // The MCP Apps views: for any client (a host reads the one a tool's _meta names).
    if (isAppResourceUri(uri)) {
      const view = await readAppResource(uri, caller);
      if (view) return view;
      throw new ResourceNotFoundError(uri, `Resource not found: ${uri}. This server's views are ${PAGE_PREVIEW_URI} and ${SITE_OVERVIEW_URI}.`);
    }
    const { projectId, kind, slug } = parseUri(uri);
    try {
      // The same invocation as the pages_get and assets_get tools: validation, scope, output schema.
      if (kind === 'pages') {
        const { data } = await invokeTool(PAGES_GET, { project_id: projectId, slug }, caller);
        return { contents: [{ uri: uri, mimeType: 'text/html', text: data.content as string }] };
      }
      const { data: a } = await invokeTool(ASSETS_GET, { project_id: projectId, slug }, caller);
      const type = a.content_type as string;
      const text = /^(text\/|application\/json|application\/xml|image\/svg)/.test(type);
      return {
        contents: [
          text
            ? { uri: uri, mimeType: type, text: Buffer.from(a.content as string, 'base64').toString('utf8') }
            : { uri: uri, mimeType: type, blob: a.content as string },
        ],
      };
    } catch (e) {
      return rpcError(e, uri);
    }
  });
}
