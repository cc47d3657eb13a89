import * as z from 'zod';
import { isoTime, pageSlug, projectId } from './common.js';

/**
 * Schemas of the app-only tools (tools/apps.ts): called by the MCP Apps views
 * (src/mcp/apps/), never shown to a model where the host honours `visibility: ["app"]`.
 */

export const appsPagePreviewInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  version: z.number().int().min(1).optional().describe('Version to show (default: the live one).'),
});

export const appsPagePreviewOutput = z.object({
  slug: z.string(),
  title: z.string().nullable(),
  version: z.number().int().describe('The version shown'),
  version_hash: z.string(),
  current_version: z.number().int().describe('The live version'),
  content: z.string().describe('HTML of the version shown, as the site serves it'),
  base_url: z.string().describe('The page URL: relative links and assets resolve against it'),
  url: z.string().describe('Public URL of the page (live site)'),
  preview_url: z.string().describe("Signed link that shows this version on the site's own address, marked noindex (as pages_preview)"),
  preview_expires_at: isoTime.describe('When preview_url stops working (24 hours)'),
  previous_version: z.number().int().nullable().describe('The version the diff compares with, or null for a first version'),
  diff: z.string().nullable().describe('Unified diff from previous_version to version (null for a first version)'),
  diff_truncated: z.boolean().describe('True if the diff was cut at its size bound'),
  added_lines: z.number().int(),
  removed_lines: z.number().int(),
  updated_at: isoTime,
});

export const appsPageRollbackInput = z.strictObject({
  project_id: projectId,
  slug: pageSlug,
  target_version: z.number().int().min(1).describe('Version to restore'),
  expected_current_version: z
    .number()
    .int()
    .min(1)
    .describe('The live version the view showed; refused with VERSION_CONFLICT if the page changed since'),
});

export const appsPageRollbackOutput = z.object({
  slug: z.string(),
  rolled_back_to: z.number().int(),
  new_version: z.number().int(),
  new_version_hash: z.string(),
});

export const appsSiteOverviewInput = z.strictObject({
  project_id: projectId,
  limit: z.number().int().min(1).max(48).optional().describe('Pages shown as cards (default 24, max 48), sorted by slug.'),
});

export const appsSiteOverviewOutput = z.object({
  project_id: z.string(),
  name: z.string(),
  url: z.string(),
  total: z.number().int().describe('Pages of the site'),
  pages: z.array(
    z.object({
      slug: z.string(),
      title: z.string().nullable(),
      version: z.number().int(),
      updated_at: isoTime,
      url: z.string(),
      thumbnail_html: z.string().describe('The page HTML for a scaled, script-free thumbnail frame (cut at its size bound)'),
    }),
  ),
});
