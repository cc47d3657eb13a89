import type { CallToolResult, ReadResourceResult, Resource, Tool } from '@modelcontextprotocol/server';
import type { UrlConfig } from '../../core/config.js';
import { SitepubError, toErrorBody } from '../../core/errors.js';
import type { Project } from '../../core/projects.js';
import type { Logger } from '../../log.js';
import { appTools, type AppToolDef } from '../../../tools/apps.js';
import { parseToolInput } from '../../../tools/define.js';
import { credentialOf, type Caller } from '../../../tools/invoke.js';
import { PAGES_CREATE, PAGES_GET, PAGES_LIST, PAGES_PATCH, PAGES_ROLLBACK, PAGES_UPDATE } from '../../../tools/pages.js';
import { PROJECT_STATUS } from '../../../tools/project.js';
import { toolEntry } from '../tool-entry.js';
import { PAGE_PREVIEW_HTML } from './page-preview.js';
import { SITE_OVERVIEW_HTML } from './site-overview.js';
import { PAGE_PREVIEW_URI, RESOURCE_MIME_TYPE, SITE_OVERVIEW_URI, appCsp } from './ui.js';

/** The views, by URI. */
const VIEWS = new Map([
  [PAGE_PREVIEW_URI, { name: 'page-preview', title: 'Page preview', description: 'The page as served, at desktop or phone width, with its version, its changes and a roll-back button', html: PAGE_PREVIEW_HTML }],
  [SITE_OVERVIEW_URI, { name: 'site-overview', title: 'Site overview', description: 'The pages of the site as cards with thumbnails', html: SITE_OVERVIEW_HTML }],
]);

/** Which tool's result a host shows in which view (`_meta.ui.resourceUri`). */
export const VIEW_OF_TOOL: ReadonlyMap<string, string> = new Map([
  [PAGES_GET, PAGE_PREVIEW_URI],
  [PAGES_CREATE, PAGE_PREVIEW_URI],
  [PAGES_UPDATE, PAGE_PREVIEW_URI],
  [PAGES_PATCH, PAGE_PREVIEW_URI],
  [PAGES_ROLLBACK, PAGE_PREVIEW_URI],
  [PROJECT_STATUS, SITE_OVERVIEW_URI],
  [PAGES_LIST, SITE_OVERVIEW_URI],
]);

/**
 * A tool's `_meta` linking its view: `ui.resourceUri`, and the deprecated flat `ui/resourceUri` that
 * hosts of the extension's first drafts read (ext-apps' registerAppTool sets both the same way).
 */
export function toolUiMeta(toolName: string): Record<string, unknown> | undefined {
  const uri = VIEW_OF_TOOL.get(toolName);
  return uri === undefined ? undefined : { ui: { resourceUri: uri }, 'ui/resourceUri': uri };
}

/** `_meta.ui` of a view resource: where its page assets come from, and a border around it. */
const resourceMeta = (urls: UrlConfig, extraOrigins: readonly string[] = []): Record<string, unknown> => ({ ui: { csp: appCsp(urls, extraOrigins), prefersBorder: true } });

/**
 * The origin of the caller's site when it is not under the sites' domain (a site on a domain of its
 * own), so its assets may load too; none when the caller's project is not known without project_id.
 */
async function ownSiteOrigins(caller: Caller): Promise<string[]> {
  try {
    const project = await caller.core.projects.authorize(caller.actor, undefined, caller.defaultProjectId, false);
    const url = new URL(project.url);
    return url.hostname.endsWith(`.${caller.core.urls.siteDomain}`) ? [] : [url.origin];
  } catch {
    return [];
  }
}

/** The views as resources/list entries (with `_meta.ui`, which hosts read when the content item has none). */
export function appResources(urls: UrlConfig): Resource[] {
  return [...VIEWS].map(([uri, v]) => ({ uri, name: v.name, title: v.title, description: v.description, mimeType: RESOURCE_MIME_TYPE, _meta: resourceMeta(urls) }));
}

export const isAppResourceUri = (uri: string): boolean => uri.startsWith('ui://');

/** resources/read of a view; undefined for a ui:// URI that is not one (the caller answers not found). */
export async function readAppResource(uri: string, caller: Caller): Promise<ReadResourceResult | undefined> {
  const v = VIEWS.get(uri);
  if (!v) return undefined;
  return { contents: [{ uri, mimeType: RESOURCE_MIME_TYPE, text: v.html, _meta: resourceMeta(caller.core.urls, await ownSiteOrigins(caller)) }] };
}

/** The app-only tools as tools/list entries, `_meta.ui.visibility: ["app"]`. Built once. */
export const APP_TOOL_LISTING: readonly Tool[] = appTools.map(
  (t): Tool => ({ ...toolEntry(t), _meta: { ui: { visibility: [...t.visibility] } } }),
);

/**
 * Runs an app-only tool the way tools/invoke.ts runs the others: arguments validated first, the
 * project authorized with the tool's scope (read for a read-only tool, write otherwise), the
 * answer checked against the output schema. Throws SitepubError.
 */
export async function runAppTool(def: AppToolDef, args: unknown, caller: Caller): Promise<{ project: Project; data: Record<string, unknown> }> {
  const input = parseToolInput(def, args, `Invalid arguments for ${def.name}: `) as { project_id?: string };
  // Checked here too: authorize() skips its scope check when it picks the only project for a call without project_id.
  if (!def.annotations.readOnlyHint && caller.actor.scope !== 'write') {
    throw new SitepubError('FORBIDDEN', `${def.name} changes the site, and this credential is read-only (scope sitepub:read).`, { required_scope: 'sitepub:write' });
  }
  const project = await caller.core.projects.authorize(caller.actor, input.project_id, caller.defaultProjectId, !def.annotations.readOnlyHint);
  const answer = await def.handler({ core: caller.core, project, client: caller.client, credential: credentialOf(caller) }, input);
  return { project, data: def.output.parse(answer) as Record<string, unknown> };
}

/**
 * tools/call of an app-only tool, answered as every tool is: the checked data as structuredContent
 * and as JSON text, or an isError result with the error JSON of docs/errors.md. A read-only session
 * (a read-only credential, or stdio --read-only) gets FORBIDDEN for the write tool.
 */
export async function callAppTool(def: AppToolDef, args: unknown, caller: Caller, readOnly: boolean, log: Logger): Promise<CallToolResult> {
  const started = performance.now();
  try {
    if (readOnly && !def.annotations.readOnlyHint) {
      throw new SitepubError('FORBIDDEN', `${def.name} changes the site, and this session is read-only. It needs the sitepub:write scope.`, { required_scope: 'sitepub:write' });
    }
    const { data } = await runAppTool(def, args, caller);
    log.debug({ tool: def.name, ms: Math.round(performance.now() - started) }, 'app tool ok');
    return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
  } catch (e) {
    if (!(e instanceof SitepubError)) log.error({ tool: def.name, err: e }, 'app tool failed');
    else log.info({ tool: def.name, error: e.type, ms: Math.round(performance.now() - started) }, 'app tool refused');
    return { isError: true, content: [{ type: 'text', text: JSON.stringify(toErrorBody(e)) }] };
  }
}
