import * as z from 'zod';
import { projectId } from './common.js';

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
