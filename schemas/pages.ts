import * as z from 'zod';
import { isoTime, jsonObject, knownKeysObject, limit, offset, pageSlug, projectId } from './common.js';

/** Bytes of JSON each of meta and seo may take. */
export const MAX_PAGE_META_BYTES = 65_536;

const META_KEYS = {
  title: z.string().describe('Page title, e.g. "About us"; shown in pages_list.'),
  language: z.string().describe('Language of the page, a BCP 47 tag such as "en" or "nl-NL".'),
  description: z.string().describe('Short summary of the page for people (SEO text goes in seo.description).'),
  author: z.string().describe('Author of the page.'),
};
const SEO_KEYS = {
  title: z.string().describe('Title for search results, if different from meta.title.'),
  description: z.string().describe('Description for search results, about 150 characters.'),
  keywords: z.string().describe('Comma-separated keywords.'),
  robots: z.string().describe('Robots directive, e.g. "index, follow" or "noindex".'),
  canonical: z.string().describe('Canonical URL of the page.'),
  og_title: z.string().describe('Open Graph title for link previews.'),
  og_description: z.string().describe('Open Graph description for link previews.'),
  og_image: z.string().describe('Open Graph image URL or root-relative path, e.g. "/images/cover.png".'),
};
const meta = knownKeysObject(MAX_PAGE_META_BYTES, META_KEYS).optional().describe('Page metadata, e.g. {"title": "About us", "language": "en"}. `title` is shown in pages_list.');
const seo = knownKeysObject(MAX_PAGE_META_BYTES, SEO_KEYS).optional().describe('SEO settings, e.g. {"description": "...", "robots": "index, follow"}.');
const content = z.string().describe('The full HTML document of the page.');
/** What a model is told when pages_patch comes without the hash it needs. */
const WHERE_HASH_COMES_FROM = 'required: call pages_get with include_version=true first and pass its version_hash here';

export const pageSummary = z.object({
  slug: z.string(),
  title: z.string().nullable(),
  version: z.number().int(),
  version_hash: z.string(),
  size_bytes: z.number().int(),
  created_at: isoTime,
  updated_at: isoTime,
  url: z.string().describe('Public URL of the page'),
});

export const pagesListInput = z.strictObject({ project_id: projectId, limit: limit(100, 1000), offset });
export const pagesListOutput = z.object({ pages: z.array(pageSummary), total: z.number().int() });

export const pagesGetInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  include_version: z.boolean().optional().describe('Also return version and version_hash. Required before pages_patch.'),
  version: z.number().int().min(1).optional().describe('Read this older version (number from pages_versions) instead of the current one; nothing is published.'),
  version_hash: z.string().min(1).optional().describe('Read the version with this hash instead of the current one (alternative to version).'),
});
export const pagesGetOutput = z.object({
  slug: z.string(),
  content: z.string(),
  meta: jsonObject,
  seo: jsonObject,
  url: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  version: z.number().int().optional(),
  version_hash: z.string().optional(),
  current: z.boolean().optional().describe('With version or version_hash: whether that version is the one the site serves now'),
});

/** What a page write found on the page as it will be served (src/core/sites/check.ts). */
export const siteWarning = z.object({
  type: z.enum(['broken_link', 'missing_asset', 'private_asset', 'missing_title', 'missing_alt', 'invalid_nesting', 'head_problem']),
  message: z.string().describe('What is wrong and how to fix it'),
  slug: z.string().describe('The page it is on'),
  target: z.string().optional().describe('The URL as written in the page, for links and assets'),
  line: z.number().int().optional().describe('Line in the page content'),
});
const warnings = z.array(siteWarning).optional().describe('Problems on the page as served (broken internal links, missing assets, no title, images without alt, markup a browser repairs). The write went through; fix them with pages_patch. Empty or absent: none found.');

export const pageCreateItem = z.strictObject({ slug: pageSlug, content, meta, seo });
export const pagesCreateInput = pageCreateItem.extend({ project_id: projectId });
export const pagesCreateOutput = pageSummary.extend({ warnings });

export const pagesUpdateInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  content,
  meta: meta.describe('Replaces the metadata; omit to keep the current metadata.'),
  seo: seo.describe('Replaces the SEO settings; omit to keep the current ones.'),
  base_version_hash: z.string().optional().describe('Optional optimistic lock: the version_hash you read. If the page changed since, the update is refused with VERSION_CONFLICT.'),
});
export const pagesUpdateOutput = pageSummary.extend({ warnings });

const patchOp = z.strictObject({
  operation: z.enum(['replace', 'delete']).describe('"replace" swaps the found text for `replace`; "delete" removes it.'),
  find: z.string().min(1).describe('Exact text to find. Must occur exactly once in the page at that point (whitespace counts).'),
  replace: z.string().optional().describe('Replacement text (required for "replace").'),
});
export const pagesPatchInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  base_version_hash: z
    .string({ error: (iss) => (iss.input === undefined ? `${WHERE_HASH_COMES_FROM} (missing)` : undefined) })
    .min(1, `${WHERE_HASH_COMES_FROM} (empty)`)
    .describe('version_hash from pages_get with include_version=true.'),
  patches: z.array(patchOp).min(1).max(200).describe('Applied in order, all or nothing.'),
  patch_summary: z.string().max(500).optional().describe('Short human-readable description, kept in the version history.'),
});
export const pagesPatchOutput = z.object({
  slug: z.string(),
  version: z.number().int(),
  version_hash: z.string().describe('Use this as base_version_hash for the next patch.'),
  patches_applied: z.number().int(),
  content_preview: z.string().describe('First 500 characters of the new content'),
  warnings,
});

export const pagesDeleteInput = z.strictObject({ project_id: projectId, slug: pageSlug });
export const pagesDeleteOutput = z.object({ slug: z.string(), deleted: z.literal(true), versions_deleted: z.number().int() });

export const pagesVersionsInput = z.strictObject({ project_id: projectId, slug: pageSlug });
export const pagesVersionsOutput = z.object({
  slug: z.string(),
  current_version: z.number().int(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      hash: z.string(),
      created_by: z.enum(['create', 'update', 'patch', 'rollback']),
      patch_summary: z.string().nullable(),
      size_bytes: z.number().int(),
      created_at: isoTime,
    }),
  ),
});

export const pagesRollbackInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  target_version: z.number().int().min(1).optional().describe('Version number to restore (one of target_version or target_version_hash).'),
  target_version_hash: z.string().min(1).optional().describe('Version hash to restore (alternative to target_version).'),
});
export const pagesRollbackOutput = z.object({
  slug: z.string(),
  version: z.number().int().describe('The new version (the restored content, as a new version)'),
  version_hash: z.string().describe('Its hash: base_version_hash for the next patch'),
  rolled_back_to: z.number().int().describe('The version whose content was restored'),
  new_version: z.number().int().describe('Same as version (older name, kept for compatibility)'),
  new_version_hash: z.string().describe('Same as version_hash (older name, kept for compatibility)'),
  warnings,
});

export const pagesBulkCreateInput = z.strictObject({
  project_id: projectId,
  pages: z.array(pageCreateItem).min(1).max(100).describe('Pages to create (at most 100). All are created, or none.'),
});
export const pagesBulkCreateOutput = z.object({ pages: z.array(pageSummary), created: z.number().int(), warnings });
