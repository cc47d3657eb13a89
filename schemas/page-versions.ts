import * as z from 'zod';
import { isoTime, pageSlug, projectId } from './common.js';

const versionRef = (what: string) =>
  z.union([z.number().int().min(1), z.string().min(1)]).describe(`${what}: a version number (from pages_versions) or a version_hash.`);

export const pagesDiffInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  from_version: versionRef('The older side'),
  to_version: versionRef('The newer side'),
});
export const pagesDiffOutput = z.object({
  slug: z.string(),
  from_version: z.number().int(),
  to_version: z.number().int(),
  from_version_hash: z.string(),
  to_version_hash: z.string(),
  diff: z.string().describe('Unified diff of the content: lines starting with "-" are only in from_version, "+" only in to_version; empty hunks when the content is the same'),
  meta_changed: z.boolean().describe('Whether meta differs between the two versions'),
  seo_changed: z.boolean().describe('Whether seo differs between the two versions'),
  diff_truncated: z.boolean().describe('true when the diff was cut at 200,000 characters, or not computed because the versions differ in over 20,000 lines (diff is then empty): compare smaller steps, or read each version with pages_get'),
});

export const pagesPreviewInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  version: versionRef('The version to show (default: the current one)').optional(),
  expires_in_hours: z.number().min(0.1).max(168).optional().describe('How long the link works, in hours (default 24, at most 168 = 7 days).'),
});
export const pagesPreviewOutput = z.object({
  slug: z.string(),
  version: z.number().int(),
  version_hash: z.string(),
  current: z.boolean().describe('Whether this version is the one the site serves now'),
  preview_url: z.string().describe('Signed link that shows this version on the site\'s own address, marked noindex; give it to the user'),
  expires_at: isoTime,
});
