import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ToolDef } from '../../tools/index.js';
import type { Project } from '../core/projects.js';
import { assetUri, pageUri } from './resources.js';

/**
 * A successful tool result: the checked data as structuredContent and, for clients that read text,
 * the same JSON as the first text block; then a resource_link per page or asset the result names,
 * and an image block per image it carries (assets_get of a PNG, say), which a client can show.
 * `size` is the text's length, the bound the result cache counts.
 */
export function toolResult(def: ToolDef, data: Record<string, unknown>, project: Project): { result: CallToolResult; size: number } {
  const text = JSON.stringify(data);
  const content: CallToolResult['content'] = [{ type: 'text', text }];
  for (const l of def.links?.(data) ?? []) {
    const uri = l.kind === 'pages' ? pageUri(project.id, l.slug) : assetUri(project.id, l.slug);
    content.push({ type: 'resource_link', uri, name: l.slug, ...(l.title ? { title: l.title } : {}), mimeType: l.mimeType });
  }
  for (const m of def.media?.(data) ?? []) content.push({ type: 'image', data: m.base64, mimeType: m.mimeType });
  return { result: { content, structuredContent: data }, size: text.length };
}
