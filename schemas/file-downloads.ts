import * as z from 'zod';
import { isoTime, jsonObject, keyValueList, offset, projectId } from './common.js';
import { BUNDLE_MAX, BUNDLE_MIN } from '../src/core/download-bundle.js';
import { MAX_STAMP_CHARS } from '../src/core/download-stamp.js';

/** Bytes of JSON a token's metadata may take (the core enforces the same bound). */
export const MAX_TOKEN_METADATA_BYTES = 4096;

const status = z.enum(['active', 'expired', 'exhausted', 'revoked']);

export const generateTokenInput = z.strictObject({
  project_id: projectId,
  asset_url: z.string().min(1).max(2048).optional().describe('The file to protect: its path ("/files/ebook.pdf") or its site URL. Must be an asset of this project; upload it with private: true first. Give this or asset_urls.'),
  asset_urls: z
    .array(z.string().min(1).max(2048))
    .min(BUNDLE_MIN)
    .max(BUNDLE_MAX)
    .optional()
    .describe(`A bundle instead of one file: ${BUNDLE_MIN} to ${BUNDLE_MAX} asset paths, each once. The link sends them as one ZIP (filename default "bundle.zip") and one download uses one use. Every file must exist when the buyer downloads, or nothing is used up.`),
  filename: z.string().max(255).optional().describe('Name the buyer\'s browser saves the file as. Default: the asset\'s file name, or "bundle.zip" for asset_urls.'),
  stamp: z
    .string()
    .min(1)
    .max(MAX_STAMP_CHARS)
    .optional()
    .describe('Footer line drawn on every page of the PDF(s) when the buyer downloads, so a leaked copy names its buyer, e.g. "Licensed to {metadata.email}, order {metadata.order_id}, {date}". Placeholders: {visitor_id}, {date} (UTC day of the download), {metadata.KEY} (a key of metadata). PDFs only; other files of a bundle are sent as they are.'),
  expires_in_hours: z.number().int().min(0).max(87600).optional().describe('Hours until the link expires (default 24). 0 = never.'),
  expires_in_minutes: z.number().int().min(0).max(5256000).optional().describe('Minutes until the link expires; overrides expires_in_hours. 0 = never.'),
  max_uses: z.number().int().min(0).max(1_000_000).optional().describe('How many downloads the link allows (default 1). 0 = unlimited.'),
  visitor_id: z.string().min(1).max(200).optional().describe('Bind the link to one visitor id; only requests carrying that id can use it.'),
  metadata: keyValueList(MAX_TOKEN_METADATA_BYTES).optional().describe('Your data kept with the token, as key/value pairs, e.g. [{"key": "order_id", "value": "1042"}] (at most 50, 4 KB in all). Returned as an object: {"order_id": "1042"}.'),
  content_disposition: z.enum(['attachment', 'inline']).optional().describe('"attachment" (default) downloads; "inline" opens in the browser (PDF, images). HTML, SVG, XML, JavaScript and JSON files are always served as attachment, whatever you ask: the answer says which applies.'),
  expiration_redirect_url: z.string().max(2048).optional().describe('http(s) URL to send the buyer to when the link is expired, used up or revoked.'),
  require_confirmation: z.boolean().optional().describe('Show a small page with a Download button first, so mail scanners and link previews cannot use up the link. Recommended for emailed one-time links.'),
});
export const generateTokenOutput = z.object({
  token: z.string().describe('The secret token. Shown only now; sitepub stores only its hash.'),
  token_id: z.string().describe('Id to list or revoke the token later'),
  token_prefix: z.string(),
  download_url: z.string().describe('The link to give the buyer'),
  asset_url: z.string().describe('The file; for a bundle, its first file'),
  asset_urls: z.array(z.string()).optional().describe('A bundle\'s files, in ZIP order'),
  filename: z.string(),
  content_disposition: z.enum(['attachment', 'inline']).describe('How the link serves the file: as asked, except "attachment" for HTML, SVG, XML, JavaScript and JSON files (they never open in the browser from a download link).'),
  expires_at: isoTime.nullable(),
  max_uses: z.number().int(),
  visitor_id: z.string().nullable(),
  metadata: jsonObject,
  require_confirmation: z.boolean(),
  expiration_redirect_url: z.string().nullable(),
  stamp: z.string().nullable().describe('The PDF footer template, or null'),
  created_at: isoTime,
});

export const verifyTokenInput = z.strictObject({
  project_id: projectId,
  token: z.string().min(1).max(200).describe('The download token (the part after /d/ in download_url).'),
  visitor_id: z.string().max(200).optional().describe('Visitor id of the requester, for visitor-bound tokens.'),
  ip: z.string().max(64).optional().describe('IP address of the buyer, only recorded in the attempt log (never used for limits).'),
});
export const verifyTokenOutput = z.object({
  valid: z.literal(true),
  token_id: z.string(),
  asset_url: z.string().describe('Path of the protected asset (not a public URL: the bytes only flow through download_url)'),
  asset_urls: z.array(z.string()).optional().describe('A bundle\'s files, in ZIP order'),
  filename: z.string(),
  use_count: z.number().int(),
  remaining_uses: z.number().int().nullable().describe('null when unlimited'),
  expires_at: isoTime.nullable(),
  download_url: z.string(),
});

export const listDownloadsInput = z.strictObject({
  project_id: projectId,
  status: z.enum(['active', 'expired', 'exhausted', 'revoked', 'all']).optional().describe('Filter by status (default "all").'),
  asset_url: z.string().max(2048).optional().describe('Only tokens for this asset (path or site URL), bundles that hold it included.'),
  visitor_id: z.string().max(200).optional().describe('Only tokens bound to this visitor.'),
  limit: z.number().int().min(1).max(100).optional().describe('Page size (default 20, max 100).'),
  offset: z.number().int().min(0).optional().describe('Items to skip (default 0).'),
});
const downloadItem = z.object({
  token_id: z.string(),
  token_prefix: z.string().describe('First characters of the token, to recognise it; never the whole token'),
  asset_url: z.string().describe('The file; for a bundle, its first file'),
  asset_urls: z.array(z.string()).optional().describe('A bundle\'s files, in ZIP order'),
  filename: z.string(),
  status,
  use_count: z.number().int(),
  max_uses: z.number().int(),
  remaining_uses: z.number().int().nullable(),
  last_download_at: isoTime.nullable(),
  expires_at: isoTime.nullable(),
  visitor_id: z.string().nullable(),
  metadata: jsonObject,
  stamp: z.string().nullable(),
  created_at: isoTime,
  revoked_at: isoTime.nullable(),
});

export const listDownloadsOutput = z.object({
  downloads: z.array(downloadItem),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const revokeTokenInput = z.strictObject({
  project_id: projectId,
  token: z.string().max(200).optional().describe('The token to revoke (one of token or token_id).'),
  token_id: z.string().max(64).optional().describe('The token id from generate_token or list_downloads.'),
});
export const revokeTokenOutput = z.object({ token_id: z.string(), revoked: z.literal(true), revoked_at: isoTime });

export const getStatsInput = z.strictObject({
  project_id: projectId,
  days: z.number().int().min(1).max(3650).optional().describe('Days to look back, today included (default 30).'),
  every_day: z.boolean().optional().describe('List every day of the window in daily, days without activity as zeros (for a chart). Default false: only days with downloads or refusals.'),
});
export const getStatsOutput = z.object({
  days: z.number().int(),
  since: isoTime,
  total_tokens: z.number().int().describe('Tokens generated in the window'),
  total_downloads: z.number().int().describe('Successful downloads in the window'),
  active_tokens: z.number().int(),
  expired_tokens: z.number().int(),
  exhausted_tokens: z.number().int(),
  revoked_tokens: z.number().int(),
  top_files: z.array(z.object({ asset_url: z.string(), downloads: z.number().int().describe('Times the file was sent (each file of a bundle counts)') })),
  refused_attempts: z.number().int().describe('Refused attempts on links of this project in the window'),
  refusals: z.array(z.object({ reason: z.string().describe('The error type, e.g. TOKEN_EXPIRED, TOKEN_EXHAUSTED, NOT_FOUND'), attempts: z.number().int() })).describe('Refused attempts per reason, most frequent first'),
  daily: z
    .array(z.object({ date: z.string().describe('YYYY-MM-DD (UTC)'), downloads: z.number().int(), refused: z.number().int().describe('Refused attempts that day') }))
    .describe('Per day, oldest first: only days with activity unless every_day'),
});

export const updateTokenInput = z.strictObject({
  project_id: projectId,
  token_id: z.string().min(1).max(64).describe('The token to change (token_id from generate_token, list_downloads or list_attempts).'),
  add_uses: z.number().int().min(1).max(1_000_000).optional().describe('Uses to add to max_uses, e.g. 1 for a buyer whose download failed. Not for unlimited tokens.'),
  max_uses: z.number().int().min(0).max(1_000_000).optional().describe('New max_uses (0 = unlimited). Not together with add_uses.'),
  expires_in_hours: z.number().int().min(0).max(87600).optional().describe('New expiry, counted from now, in hours. 0 = never. Revives an expired link.'),
  expires_in_minutes: z.number().int().min(0).max(5256000).optional().describe('New expiry, counted from now, in minutes; overrides expires_in_hours. 0 = never.'),
  reset_use_count: z.boolean().optional().describe('Set use_count back to 0, as if the link were new.'),
});
const change = <T extends z.ZodType>(t: T) => z.object({ from: t, to: t });
export const updateTokenOutput = downloadItem.extend({
  changes: z.object({ use_count: change(z.number().int()), max_uses: change(z.number().int()), expires_at: change(isoTime.nullable()) }).describe('Before and after'),
});

export const listAttemptsInput = z.strictObject({
  project_id: projectId,
  token_id: z.string().max(64).optional().describe('Only attempts on this token.'),
  outcome: z
    .string()
    .max(40)
    .optional()
    .describe('Only this outcome: "ok" (a download), "range" (a resumed download), "head", "preview", "updated" (file-downloads_update_token), an error type such as "TOKEN_EXPIRED", "TOKEN_EXHAUSTED", "TOKEN_WRONG_VISITOR", "NOT_FOUND"; or "refused" for every refusal.'),
  visitor_id: z.string().max(200).optional().describe('Only attempts that carried this visitor id.'),
  since: z.string().max(40).optional().describe('Only attempts at or after this ISO 8601 time, e.g. "2026-03-01T00:00:00Z".'),
  limit: z.number().int().min(1).max(500).optional().describe('Page size (default 50, max 500).'),
  offset,
});
export const listAttemptsOutput = z.object({
  attempts: z.array(
    z.object({
      at: isoTime,
      token_id: z.string().nullable(),
      asset_url: z.string().nullable().describe('The link\'s file (a bundle\'s first file)'),
      outcome: z.string().describe('"ok", "range", "head", "preview", "updated", or the refusal\'s error type'),
      ip: z.string().nullable().describe('The client address cut to its network: /24 for IPv4, /48 for IPv6'),
      visitor_id: z.string().nullable(),
      user_agent: z.string().nullable().describe('The client\'s User-Agent; "verify-token" for verify-token calls; what changed for "updated"'),
    }),
  ),
  total: z.number().int(),
});
