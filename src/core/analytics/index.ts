import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { Project } from '../projects.js';
import { PageViews } from './page-views.js';
import { siteStats, type SiteStats } from './stats.js';

export { referrerHost } from './page-views.js';
export type { SiteStats } from './stats.js';

/** Site statistics without cookies (docs/sites-and-downloads.md): counted per view, written in batches, read by site_stats. */
export class SiteAnalytics extends PageViews {
  constructor(
    private readonly kdb: Kysely<Database>,
    private readonly time: Clock,
    flushMs?: number,
  ) {
    super(kdb, time, flushMs);
  }

  /** The counts so far (this instance's unwritten ones written first). */
  async stats(project: Project, days = 30): Promise<SiteStats> {
    await this.flush().catch(() => {});
    return siteStats(this.kdb, this.time, project.id, days);
  }
}
