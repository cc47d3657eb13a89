import type * as z from 'zod';
import { SitepubError } from '../src/core/errors.js';
import { unifiedDiff } from '../src/core/sites/diff.js';
import { renderHead } from '../src/core/sites/head.js';
import * as s from '../schemas/apps.js';
import { ADDITIVE, READ, type ToolDef } from './define.js';

/**
 * App-only tools: what the MCP Apps views (src/mcp/apps/) call from inside the conversation, with
 * `_meta.ui.visibility: ["app"]`, so a host that honours it never offers them to the model. They are
 * MCP-only (no REST route, no row in docs/tools.md: docs/mcp-apps.md lists them) and are not part
 * of ALL_TOOLS. Their handlers bind the same core services as the model's tools.
 */
export interface AppToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> extends Omit<ToolDef<I, O>, 'rest' | 'links' | 'media' | 'toolset'> {
  /** Who may call it (MCP Apps `_meta.ui.visibility`): the app only. */
  visibility: readonly ['app'];
}

function defineAppTool<I extends z.ZodObject, O extends z.ZodObject>(def: AppToolDef<I, O>): AppToolDef {
  return def as unknown as AppToolDef;
}

export const APPS_PAGE_PREVIEW = 'apps_page_preview';
export const APPS_PAGE_ROLLBACK = 'apps_page_rollback';
export const APPS_SITE_OVERVIEW = 'apps_site_overview';

/** HTML of one thumbnail: enough for the top of a page, at most 48 of them in one answer. */
export const MAX_THUMBNAIL_CHARS = 65_536;


export const appTools: readonly AppToolDef[] = [
  defineAppTool({
    name: APPS_PAGE_PREVIEW,
    title: 'Page preview (app)',
    description:
      'For the page-preview view: one version of a page (default the live one) with its HTML as served, the URL its assets resolve against, ' +
      'the live URL, a signed preview link of that version (as pages_preview), and a unified diff against the version before it. Read-only.',
    input: s.appsPagePreviewInput,
    output: s.appsPagePreviewOutput,
    annotations: READ,
    visibility: ['app'],
    handler: async ({ core, project }, a) => {
      const history = await core.pages.versions(project, a.slug);
      const version = a.version ?? history.current_version;
      if (!history.versions.some((v) => v.version === version)) {
        throw new SitepubError('NOT_FOUND', `Version ${version} of page "${history.slug}" not found; the page has versions 1 to ${history.current_version}.`);
      }
      const shown = await core.pages.getVersion(project, history.slug, { version });
      // The version before it in the history (rollbacks and patches alike), if any.
      const previous = history.versions.filter((v) => v.version < version).reduce<number | null>((m, v) => (m === null || v.version > m ? v.version : m), null);
      const d = previous === null ? null : unifiedDiff(`${shown.slug} v${previous}`, `${shown.slug} v${version}`, await core.pages.versionContent(project, shown.slug, previous), shown.content);
      const title = typeof shown.meta.title === 'string' ? shown.meta.title : null;
      // The same signed, noindex link pages_preview makes: this version on the site's own address.
      const preview = await core.sites.preview(project, shown.slug, version);
      return {
        slug: shown.slug,
        title,
        version,
        version_hash: shown.version_hash,
        current_version: history.current_version,
        // As the site serves it: the head completed from this version's meta and seo.
        content: renderHead(shown.content, shown.meta, shown.seo, project.url).html,
        base_url: shown.url,
        url: shown.url,
        preview_url: preview.preview_url,
        preview_expires_at: preview.expires_at,
        previous_version: previous,
        diff: d?.diff ?? null,
        diff_truncated: d?.truncated ?? false,
        added_lines: d?.added ?? 0,
        removed_lines: d?.removed ?? 0,
        updated_at: shown.updated_at,
      };
    },
  }),
  defineAppTool({
    name: APPS_PAGE_ROLLBACK,
    title: 'Roll back page (app)',
    description:
      "For the page-preview view's roll-back button: restores target_version as a new version (as pages_rollback), " +
      'refused with VERSION_CONFLICT if the live version is no longer expected_current_version (someone changed the page since the view showed it).',
    input: s.appsPageRollbackInput,
    output: s.appsPageRollbackOutput,
    annotations: ADDITIVE,
    visibility: ['app'],
    handler: async ({ core, project }, a) => {
      const history = await core.pages.versions(project, a.slug);
      if (history.current_version !== a.expected_current_version) {
        const live = history.versions.find((v) => v.version === history.current_version);
        throw new SitepubError('VERSION_CONFLICT', `Page "${history.slug}" is at version ${history.current_version} now, not ${a.expected_current_version}: reload the preview before rolling back.`, {
          current_version: history.current_version,
          ...(live ? { current_version_hash: live.hash } : {}),
        });
      }
      return core.pages.rollback(project, { slug: history.slug, target_version: a.target_version });
    },
  }),
  defineAppTool({
    name: APPS_SITE_OVERVIEW,
    title: 'Site overview (app)',
    description: 'For the site-overview view: the site and its first pages (sorted by slug) with the HTML of each for a thumbnail. Read-only.',
    input: s.appsSiteOverviewInput,
    output: s.appsSiteOverviewOutput,
    annotations: READ,
    visibility: ['app'],
    handler: async ({ core, project }, a) => {
      const listed = await core.pages.list(project, a.limit ?? 24, 0);
      const pages = [];
      for (const p of listed.pages) {
        const html = (await core.pages.get(project, p.slug, false)).content;
        pages.push({ slug: p.slug, title: p.title, version: p.version, updated_at: p.updated_at, url: p.url, thumbnail_html: html.slice(0, MAX_THUMBNAIL_CHARS) });
      }
      return { project_id: project.id, name: project.name, url: project.url, total: listed.total, pages };
    },
  }),
];

export const APP_TOOLS_BY_NAME: ReadonlyMap<string, AppToolDef> = new Map(appTools.map((t) => [t.name, t]));
