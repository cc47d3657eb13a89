import * as s from '../schemas/page-versions.js';
import { READ, defineTool } from './define.js';

export const PAGES_DIFF = 'pages_diff';
export const PAGES_PREVIEW = 'pages_preview';

/** Looking at versions without publishing them (src/core/sites): compare two, or show one to the user. */
export const pageVersionTools = [
  defineTool({
    name: PAGES_DIFF,
    title: 'Compare page versions',
    description:
      'Shows what changed between two versions of a page as a unified diff ("-" lines only in from_version, "+" lines only in to_version), ' +
      'plus whether meta or seo changed. Versions are numbers or hashes from pages_versions. Use it before pages_rollback to check what a rollback restores, ' +
      'or to tell the user what an edit changed. Nothing is published. Errors: NOT_FOUND (no such page or version: see pages_versions). Read-only.',
    toolset: 'pages',
    input: s.pagesDiffInput,
    output: s.pagesDiffOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/pages/:slug{.+}/diff' },
    handler: ({ core, project }, a) => core.sites.diff(project, a.slug, a.from_version, a.to_version),
  }),
  defineTool({
    name: PAGES_PREVIEW,
    title: 'Preview link for a page version',
    description:
      'Makes a signed link that shows one version of a page (default: the current one; any older one by number or hash) on the site\'s own address, ' +
      'with the head from that version\'s meta and seo, marked noindex and never cached, until it expires (default 24 hours, at most 7 days). ' +
      'Give preview_url to the user to look at a version before rolling back to it, or at the live page as it is served. Nothing is published. ' +
      'Errors: NOT_FOUND (no such page or version), VALIDATION_ERROR (expires_in_hours out of range). Read-only.',
    toolset: 'pages',
    input: s.pagesPreviewInput,
    output: s.pagesPreviewOutput,
    annotations: READ,
    rest: { method: 'POST', path: '/papi/project/:project_id/pages/:slug{.+}/preview' },
    handler: ({ core, project }, a) => core.sites.preview(project, a.slug, a.version, a.expires_in_hours),
  }),
];
