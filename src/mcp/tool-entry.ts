import type { Tool } from '@modelcontextprotocol/server';
import type { ToolDef } from '../../tools/index.js';
import { jsonSchemaOf } from '../../tools/json-schema.js';

/** A tool declaration as a tools/list entry: the one shape for the model's tools and the app-only ones. */
export function toolEntry(t: Pick<ToolDef, 'name' | 'title' | 'description' | 'input' | 'output' | 'annotations'>): Tool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: jsonSchemaOf(t.input, 'input') as Tool['inputSchema'],
    outputSchema: jsonSchemaOf(t.output, 'output') as Tool['outputSchema'],
    annotations: { title: t.title, ...t.annotations },
  };
}
