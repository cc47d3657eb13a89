import * as z from 'zod';
import { isoTime, jsonObject, offset, projectId } from './common.js';
import { WEBHOOK_EVENTS } from '../src/core/webhooks/events.js';

const event = z.enum(WEBHOOK_EVENTS);

export const webhooksSetInput = z.strictObject({
  project_id: projectId,
  url: z.string().min(1).max(2048).describe('Your endpoint that receives the events by POST, a public http(s) URL (https recommended). Private and local addresses are never called.'),
  events: z
    .array(event)
    .min(1)
    .max(WEBHOOK_EVENTS.length)
    .describe('Events to send: "download.completed" (a link was used), "download.refused" (an attempt was refused: expired, used up, wrong visitor, file missing...), "token.exhausted" (the last use of a link was taken).'),
  rotate_secret: z.boolean().optional().describe('Make a new signing secret (the old one stops verifying at once). Default false: keep the current one.'),
});
export const webhooksSetOutput = z.object({
  url: z.string(),
  events: z.array(event),
  secret: z.string().describe('The signing secret: verify each delivery\'s Sitepub-Signature header with it. Keep it private; only webhooks_set shows it.'),
  created_at: isoTime,
  updated_at: isoTime,
});

export const webhooksDeleteInput = z.strictObject({ project_id: projectId });
export const webhooksDeleteOutput = z.object({ deleted: z.boolean().describe('false when the project had no webhook') });

export const webhooksListDeliveriesInput = z.strictObject({
  project_id: projectId,
  status: z.enum(['pending', 'delivered', 'failed']).optional().describe('Only deliveries in this state (pending: waiting for its next attempt).'),
  limit: z.number().int().min(1).max(100).optional().describe('Page size (default 20, max 100).'),
  offset,
});
export const webhooksListDeliveriesOutput = z.object({
  webhook: z
    .object({ url: z.string(), events: z.array(event), secret_prefix: z.string().describe('First characters of the secret, to recognise it'), created_at: isoTime, updated_at: isoTime })
    .nullable()
    .describe('The project\'s webhook, or null when none is set'),
  deliveries: z.array(
    z.object({
      id: z.string().describe('Event id, also the "id" of the body and the Sitepub-Delivery header: deduplicate on it'),
      event,
      created_at: isoTime,
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.number().int(),
      next_attempt_at: isoTime.nullable(),
      last_status: z.number().int().nullable().describe('HTTP status of the last attempt; null when there was no answer'),
      last_error: z.string().nullable(),
      delivered_at: isoTime.nullable(),
      payload: jsonObject.describe('The JSON body sent'),
    }),
  ),
  total: z.number().int(),
});
