import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Outcomes of download_events that are not refusals, as this migration's partial index names them.
 * get-stats counts refusals with exactly this list (a partial index serves a query only when the
 * query repeats its condition), so it is exported and never edited: a later outcome that is not a
 * refusal needs a new index.
 */
export const NOT_REFUSED = ['ok', 'range', 'head', 'preview', 'updated'] as const;

/** The SQL condition of the refusals index, shared by the index and the queries it serves. */
export const refusedCondition = (): RawBuilder<SqlBool> => sql<SqlBool>`outcome not in (${sql.join(NOT_REFUSED.map((o) => sql.lit(o)))})`;

/**
 * Frozen. Seller-grade download links (docs/sites-and-downloads.md):
 * - `download_tokens.bundle`: how many files a bundle link serves as one ZIP (0: one file, the
 *   token's asset_slug); a bundle's files are `download_bundle_files`, in order (the first is also
 *   the token's asset_slug), by slug, so a file uploaded again at the same path serves again;
 * - `download_tokens.stamp`: the footer template drawn on every page of a PDF at download time;
 * - `download_daily.uses`: link uses per day and file. `downloads` counts files sent (a bundle's
 *   use counts once for each of its files), `uses` counts uses (once, on the bundle's first file):
 *   until now both were the same, so the backfill copies;
 * - a partial index of refused attempts by project and time, for get-stats' refusals per reason
 *   and the attempt log's "refused" filter, without reading the downloads around them;
 * - `webhooks`: a project's webhook (one per project): URL, events, signing secret;
 * - `webhook_outbox`: events to deliver, written in the same transaction as the use or refusal
 *   they report; a delivery loop claims due rows by a conditional UPDATE that sets a lease, so any
 *   number of instances deliver each row once at a time.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('download_tokens').addColumn('bundle', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('download_tokens').addColumn('stamp', 'text').execute();
  await db.schema
    .createTable('download_bundle_files')
    .addColumn('token_id', 'text', (c) => c.notNull().references('download_tokens.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('asset_slug', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('download_bundle_files_pk', ['token_id', 'position'])
    .execute();
  await db.schema.createIndex('download_bundle_files_asset').on('download_bundle_files').columns(['project_id', 'asset_slug']).execute();

  await db.schema.alterTable('download_daily').addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update download_daily set uses = downloads`.execute(db);

  await sql`create index download_events_refused on download_events (project_id, at) where ${refusedCondition()}`.execute(db);

  await db.schema
    .createTable('webhooks')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('leased_by', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'text')
    .execute();
  await db.schema.createIndex('webhook_outbox_due').on('webhook_outbox').columns(['status', 'next_at']).execute();
  await db.schema.createIndex('webhook_outbox_project').on('webhook_outbox').columns(['project_id', 'created_at']).execute();
}
