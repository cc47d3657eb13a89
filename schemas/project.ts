import * as z from 'zod';
import { NOT_WELL_FORMED, projectId, wellFormedText } from './common.js';

export const projectStatusInput = z.strictObject({ project_id: projectId });
export const projectStatusOutput = z.object({
  project_id: z.string(),
  name: z.string(),
  domain: z.string().describe('Host name the site is served at'),
  url: z.string().describe('Public URL of the site'),
  pages_count: z.number().int(),
  assets_count: z.number().int(),
  status: z
    .enum(['published', 'empty', 'no_home_page'])
    .describe('"published": the site has its home page (index.html) and every write is live at once; "empty": no page yet; "no_home_page": pages exist but no index.html, so the site\'s address answers 404 (create index.html)'),
});

export const projectInfo = z.object({
  project_id: z.string(),
  name: z.string(),
  domain: z.string(),
  url: z.string(),
  created_at: z.string(),
});
export const projectCreateInput = z.strictObject({
  name: z.string().min(1).max(200).refine(wellFormedText, NOT_WELL_FORMED).describe('Display name of the site'),
  subdomain: z.string().min(1).max(63).optional().describe('Subdomain of the site (a-z, 0-9, "-"); default: derived from the name'),
});
export const projectListOutput = z.object({ projects: z.array(projectInfo), total: z.number().int() });
