import * as z from 'zod';
import { projectId } from './common.js';
import { siteWarning } from './pages.js';

export const siteStatsInput = z.strictObject({
  project_id: projectId,
  days: z.number().int().min(1).max(366).optional().describe('Days to look back, today included (default 30, max 366).'),
});
export const siteStatsOutput = z.object({
  days: z.number().int(),
  since: z.string().describe('First day counted (YYYY-MM-DD, UTC)'),
  total_views: z.number().int(),
  daily: z.array(z.object({ date: z.string(), views: z.number().int() })).describe('Page views per day, oldest first, every day of the window (zeros too)'),
  pages: z.array(z.object({ path: z.string().describe('Page slug'), views: z.number().int() })).describe('The 50 most viewed pages, most first'),
  referrers: z.array(z.object({ host: z.string(), views: z.number().int() })).describe('The 50 sites that sent the most visitors (by host name; "(other)" gathers the rest on busy days)'),
});

export const siteCheckInput = z.strictObject({ project_id: projectId });
export const siteCheckOutput = z.object({
  pages_checked: z.number().int(),
  ok: z.boolean().describe('True when no page has a warning'),
  home_page: z.boolean().describe('Whether index.html exists (without it the site\'s address answers 404)'),
  by_type: z.object({}).catchall(z.number().int()).describe('How many warnings of each type'),
  warnings: z.array(siteWarning).describe('Each problem with its page (slug), line and how to fix it; at most 500'),
});
