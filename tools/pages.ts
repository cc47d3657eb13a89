import type { Core } from '../src/core/core.js';
import { invalid } from '../src/core/errors.js';
import type { Project } from '../src/core/projects.js';
import type { SiteWarning } from '../src/core/sites/index.js';
import type { PatchOperation } from '../src/core/patch.js';
import * as s from '../schemas/pages.js';
import { ADDITIVE, DESTRUCTIVE, READ, defineTool, type LinkedResource } from './define.js';

/** A page write's result with the site checks of that page (src/core/sites/check.ts); absent when there is nothing to say. */
async function withWarnings<T extends { slug: string }>(core: Core, project: Project, r: T): Promise<T & { warnings?: SiteWarning[] }> {
  const warnings = await core.sites.warningsFor(project, [r.slug]);
  return warnings.length ? { ...r, warnings } : r;
}

const pageLinks = (pages: Array<{ slug: string; title: string | null }>): LinkedResource[] =>
  pages.map((p) => ({ kind: 'pages', slug: p.slug, title: p.title, mimeType: 'text/html' }));

export const PAGES_LIST = 'pages_list';
export const PAGES_GET = 'pages_get';
export const PAGES_CREATE = 'pages_create';
export const PAGES_UPDATE = 'pages_update';
export const PAGES_PATCH = 'pages_patch';
export const PAGES_DELETE = 'pages_delete';
export const PAGES_VERSIONS = 'pages_versions';
export const PAGES_ROLLBACK = 'pages_rollback';
export const PAGES_BULK_CREATE = 'pages_bulk_create';

export const pageTools = [
  defineTool({
    name: PAGES_LIST,
    title: 'List pages',
    description:
      'Lists the pages of the site (slug, title, version, version_hash, size, public URL), sorted by slug, with the total count. ' +
      'Use it to see what exists before creating or editing. Page through with limit/offset. Read-only.',
    toolset: 'pages',
    input: s.pagesListInput,
    output: s.pagesListOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/pages' },
    handler: ({ core, project }, a) => core.pages.list(project, a.limit, a.offset),
    links: (d) => pageLinks(d.pages),
  }),
  defineTool({
    name: PAGES_GET,
    title: 'Get page',
    description:
      'Returns the full HTML content, meta and SEO of one page. Pass include_version=true to also get version and version_hash, ' +
      'which pages_patch needs as base_version_hash. Pass version (a number from pages_versions) or version_hash to read an older version ' +
      'without publishing it (`current` says whether it is the live one); compare versions with pages_diff, show one with pages_preview. ' +
      'The stored content is returned as written: the site serves it with the head completed from meta and seo. ' +
      'Errors: NOT_FOUND if no page has this slug (check pages_list) or no such version (check pages_versions). Read-only.',
    toolset: 'pages',
    input: s.pagesGetInput,
    output: s.pagesGetOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/pages/:slug{.+}' },
    handler: ({ core, project }, a) => {
      if (a.version !== undefined && a.version_hash !== undefined) throw invalid('Pass version or version_hash, not both.', { field: 'version' });
      if (a.version !== undefined || a.version_hash !== undefined) return core.pages.getVersion(project, a.slug, { version: a.version, hash: a.version_hash });
      return core.pages.get(project, a.slug, a.include_version ?? false);
    },
    tagFor: async ({ core, project }, a) => (a.version === undefined && a.version_hash === undefined ? core.pages.currentTag(project, a.slug, a.include_version ?? false) : undefined),
  }),
  defineTool({
    name: PAGES_CREATE,
    title: 'Create page',
    description:
      'Creates a new page with full HTML content; it is live on the site at once ("index.html" is the home page at /). ' +
      'A page slug ends in .html ("about.html" is also served at /about, "blog/index.html" at /blog/); CSS, JavaScript, images and other files are assets: upload them with assets_upload. ' +
      'Link assets by root-relative paths such as /images/logo.png or /css/site.css. For several pages use pages_bulk_create. ' +
      'The site serves the page with its head completed from meta and seo: <title> (seo.title, else meta.title), <html lang> (meta.language), ' +
      'meta description (seo.description, else meta.description), author, keywords, robots (noindex also sends X-Robots-Tag and leaves the page out of sitemap.xml), ' +
      'canonical link, and Open Graph title, description, image and url; the stored content stays as written. ' +
      'Returns warnings for problems on the page as served (broken internal links, missing assets, no title, images without alt, markup a browser repairs); the page is created all the same. ' +
      'Errors: ALREADY_EXISTS if the slug is taken (use pages_update or pages_patch instead); VALIDATION_ERROR for a bad slug or one not ending in .html; PAYLOAD_TOO_LARGE over 2 MB.',
    toolset: 'pages',
    input: s.pagesCreateInput,
    output: s.pagesCreateOutput,
    annotations: ADDITIVE,
    rest: { method: 'POST', path: '/papi/project/:project_id/pages', status: 201 },
    handler: async ({ core, project }, a) => withWarnings(core, project, await core.pages.create(project, a)),
    links: (d) => pageLinks([d]),
  }),
  defineTool({
    name: PAGES_UPDATE,
    title: 'Replace page',
    description:
      'Replaces the whole content of an existing page, creating a new version (the old one stays in the history). ' +
      'For small edits prefer pages_patch, which sends only the change. The slug cannot change: to move a page, create the new slug and delete the old. ' +
      'Pass base_version_hash to refuse the update if someone changed the page since you read it (VERSION_CONFLICT: re-read and retry). ' +
      'Returns warnings as pages_create does. Errors: NOT_FOUND.',
    toolset: 'pages',
    input: s.pagesUpdateInput,
    output: s.pagesUpdateOutput,
    annotations: { ...ADDITIVE, idempotentHint: false },
    rest: { method: 'PUT', path: '/papi/project/:project_id/pages/:slug{.+}' },
    handler: async ({ core, project }, a) => withWarnings(core, project, await core.pages.update(project, a)),
  }),
  defineTool({
    name: PAGES_PATCH,
    title: 'Patch page',
    description:
      'Edits a page by exact find-and-replace without resending it; the safest way to change part of a page. ' +
      'First call pages_get with include_version=true and pass its version_hash as base_version_hash. Patches apply in order, all or nothing; ' +
      'each find must occur exactly once at that point. Errors: PATCH_FIND_NOT_FOUND (copy the exact text from pages_get, whitespace included), ' +
      'PATCH_FIND_AMBIGUOUS (add surrounding text so it is unique; the error says which patch and how many matches), ' +
      'VERSION_CONFLICT (the page changed: the error has current_version_hash; re-read with pages_get and retry). Returns the new version_hash for the next patch, ' +
      'and warnings as pages_create does.',
    toolset: 'pages',
    input: s.pagesPatchInput,
    output: s.pagesPatchOutput,
    annotations: ADDITIVE,
    rest: { method: 'PATCH', path: '/papi/project/:project_id/pages/:slug{.+}' },
    handler: ({ core, project }, a) => {
      const patches: PatchOperation[] = a.patches.map((p, i) => {
        if (p.operation === 'delete') return { operation: 'delete', find: p.find };
        if (p.replace === undefined) throw invalid(`patches[${i}]: "replace" operations need a replace string (use operation "delete" to remove text)`, { patch_index: i });
        return { operation: 'replace', find: p.find, replace: p.replace };
      });
      return core.pages.patch(project, { ...a, patches }).then((r) => withWarnings(core, project, r));
    },
  }),
  defineTool({
    name: PAGES_DELETE,
    title: 'Delete page',
    description:
      'Deletes a page and its whole version history; its URL answers 404 at once. This cannot be undone: ' +
      'to change a page, use pages_update or pages_patch instead. Errors: NOT_FOUND.',
    toolset: 'pages',
    input: s.pagesDeleteInput,
    output: s.pagesDeleteOutput,
    annotations: DESTRUCTIVE,
    rest: { method: 'DELETE', path: '/papi/project/:project_id/pages/:slug{.+}' },
    handler: ({ core, project }, a) => core.pages.delete(project, a.slug),
  }),
  defineTool({
    name: PAGES_VERSIONS,
    title: 'Page history',
    description:
      'Lists every version of a page, newest first: number, hash, how it was made (create, update, patch, rollback), patch summary, size and time. ' +
      'No content. Use it to pick a target for pages_rollback. Read-only. Errors: NOT_FOUND.',
    toolset: 'pages',
    input: s.pagesVersionsInput,
    output: s.pagesVersionsOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/pages/:slug{.+}/versions' },
    handler: ({ core, project }, a) => core.pages.versions(project, a.slug),
  }),
  defineTool({
    name: PAGES_ROLLBACK,
    title: 'Roll back page',
    description:
      'Restores the content of an earlier version by creating a new version with it (history is never lost; you can roll forward again). ' +
      'Pass target_version or target_version_hash from pages_versions (look at a version first with pages_get version or pages_diff). ' +
      'Returns version and version_hash of the new version, as patch and update do (new_version and new_version_hash are the same, kept for older clients), and warnings. ' +
      'Errors: NOT_FOUND for an unknown page or version; VALIDATION_ERROR unless exactly one target is given.',
    toolset: 'pages',
    input: s.pagesRollbackInput,
    output: s.pagesRollbackOutput,
    annotations: ADDITIVE,
    rest: { method: 'POST', path: '/papi/project/:project_id/pages/:slug{.+}/rollback' },
    handler: async ({ core, project }, a) => withWarnings(core, project, await core.pages.rollback(project, a)),
  }),
  defineTool({
    name: PAGES_BULK_CREATE,
    title: 'Create pages in bulk',
    description:
      'Creates up to 100 pages in one call, all or nothing: if any page is invalid or its slug exists, nothing is created and the error names it (index). ' +
      'The fastest way to build a new site. Returns warnings for all the pages (each names its slug), checked once all exist, so links between them count. Errors as pages_create.',
    toolset: 'pages',
    input: s.pagesBulkCreateInput,
    output: s.pagesBulkCreateOutput,
    annotations: ADDITIVE,
    rest: { method: 'POST', path: '/papi/project/:project_id/pages/bulk', status: 201 },
    handler: async ({ core, project }, a) => {
      const r = await core.pages.bulkCreate(project, a.pages);
      const warnings = await core.sites.warningsFor(project, r.pages.map((p) => p.slug));
      return warnings.length ? { ...r, warnings } : r;
    },
    links: (d) => pageLinks(d.pages),
  }),
];
