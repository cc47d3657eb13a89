import type { DownloadTokenTable } from '../../db/schema.js';

/** The events a project's webhook can receive (docs/sites-and-downloads.md#webhooks). */
export const WEBHOOK_EVENTS = ['download.completed', 'download.refused', 'token.exhausted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** What every event says about its link: never the token, only its id. */
export interface LinkFacts {
  token_id: string;
  asset_url: string;
  /** The files of a bundle link, in order; absent for a one-file link. */
  asset_urls?: string[];
  filename: string;
  use_count: number;
  max_uses: number;
  remaining_uses: number | null;
  expires_at: string | null;
  visitor_id: string | null;
  metadata: Record<string, unknown>;
}

export function linkFacts(t: DownloadTokenTable, bundleSlugs?: readonly string[]): LinkFacts {
  return {
    token_id: t.id,
    asset_url: `/${t.asset_slug}`,
    ...(bundleSlugs && bundleSlugs.length ? { asset_urls: bundleSlugs.map((s) => `/${s}`) } : {}),
    filename: t.filename,
    use_count: t.use_count,
    max_uses: t.max_uses,
    remaining_uses: t.max_uses === 0 ? null : Math.max(0, t.max_uses - t.use_count),
    expires_at: t.expires_at,
    visitor_id: t.visitor_id,
    metadata: safeJson(t.metadata),
  };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The JSON body of one delivery: fixed when the event happens, so retries send the same bytes. */
export interface WebhookBody {
  id: string;
  type: WebhookEvent;
  created_at: string;
  project_id: string;
  /** The link; for download.refused also `outcome`, the refusal's error type. */
  data: LinkFacts & { outcome?: string };
}
