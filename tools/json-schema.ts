import * as z from 'zod';
import { ADVERTISED } from '../schemas/common.js';

/** Keywords OpenAI's strict function calling refuses; the bounds stay in the server-side validation. */
const NOT_ADVERTISED_IN_INPUTS = ['minLength', 'maxLength'];

function strip(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(strip);
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const k of NOT_ADVERTISED_IN_INPUTS) delete o[k];
  for (const v of Object.values(o)) strip(v);
}

/**
 * JSON Schema of a tool's input or output for clients: draft-07 compatible (what most clients
 * validate with), no $schema noise. A schema that accepts a legacy form too (schemas/common.ts,
 * advertiseAs) is shown as its advertised form. Input schemas are what every model dialect accepts
 * (test/schema-dialects.test.ts): closed objects with properties, one type per value, no length
 * keywords (OpenAI strict mode refuses them; the server still checks the bounds).
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const js = z.toJSONSchema(schema, {
    target: 'draft-7',
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      const shown = ADVERTISED.get(ctx.zodSchema as unknown as z.ZodType);
      if (!shown) return;
      const replacement = jsonSchemaOf(shown, io);
      for (const k of Object.keys(ctx.jsonSchema)) if (k !== 'description') delete (ctx.jsonSchema as Record<string, unknown>)[k];
      Object.assign(ctx.jsonSchema, replacement);
    },
  }) as Record<string, unknown>;
  delete js.$schema;
  if (io === 'input') strip(js);
  return js;
}
