import * as z from 'zod';

/** JSON Schema of a tool's input or output for clients: draft-07 compatible (what most clients validate with), no $schema noise. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const js = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete js.$schema;
  return js;
}
