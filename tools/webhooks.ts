import * as s from '../schemas/webhooks.js';
import { DESTRUCTIVE, READ, defineTool } from './define.js';

export const WEBHOOKS_SET = 'webhooks_set';
export const WEBHOOKS_DELETE = 'webhooks_delete';
export const WEBHOOKS_LIST_DELIVERIES = 'webhooks_list_deliveries';

const BASE = '/iapi/project/:project_id/webhooks';

/** A project's webhook for download events (src/core/webhooks). In the downloads toolset: it reports on download links. */
export const webhookTools = [
  defineTool({
    name: WEBHOOKS_SET,
    title: 'Set webhook',
    description:
      'Sets the URL that receives this project\'s download events as signed JSON POSTs: download.completed, download.refused, token.exhausted ' +
      '(e.g. to mark an order delivered). One webhook per project: calling again replaces url and events and keeps the secret unless rotate_secret. ' +
      'Returns the signing secret: each delivery carries Sitepub-Signature: t=TIMESTAMP,v1=HEX(HMAC-SHA256(secret, TIMESTAMP + "." + BODY)). ' +
      'Failed deliveries are retried with backoff for about a day; see them with webhooks_list_deliveries. ' +
      'Errors: VALIDATION_ERROR (not an absolute http(s) URL, an unknown event). The URL must be public: private or local addresses fail at delivery.',
    toolset: 'downloads',
    input: s.webhooksSetInput,
    output: s.webhooksSetOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    rest: { method: 'POST', path: `${BASE}/set` },
    handler: ({ core, project }, a) => core.downloads.webhooks.set(project, a),
  }),
  defineTool({
    name: WEBHOOKS_DELETE,
    title: 'Delete webhook',
    description: 'Removes the project\'s webhook: no more events are queued, and queued ones are not sent (they stay listed as failed). Harmless when there is none.',
    toolset: 'downloads',
    input: s.webhooksDeleteInput,
    output: s.webhooksDeleteOutput,
    annotations: DESTRUCTIVE,
    rest: { method: 'POST', path: `${BASE}/delete` },
    handler: ({ core, project }) => core.downloads.webhooks.delete(project),
  }),
  defineTool({
    name: WEBHOOKS_LIST_DELIVERIES,
    title: 'List webhook deliveries',
    description:
      'Shows the project\'s webhook (url, events, the secret\'s first characters; null when none) and its deliveries newest first: event, status ' +
      '(pending: waiting for its next attempt; delivered; failed: gave up after 8 attempts), attempts, the last HTTP status or error, and the JSON body. ' +
      'Filter by status. Use it when your endpoint says it missed an event. Read-only.',
    toolset: 'downloads',
    input: s.webhooksListDeliveriesInput,
    output: s.webhooksListDeliveriesOutput,
    annotations: READ,
    rest: { method: 'GET', path: `${BASE}/list-deliveries` },
    handler: ({ core, project }, a) => core.downloads.webhooks.deliveries(project, a),
  }),
];
