/**
 * The rules of the two function-calling dialects models are driven with (Google Gemini function
 * declarations, OpenAI function calling), as checks over a JSON Schema. What each rule is and why:
 * test/schema-dialects.test.ts, which applies them to every tool; test/mcp-apps.test.ts applies them
 * to the app-only tools. A module of its own, so importing it runs no test file twice.
 */

export type Schema = Record<string, unknown>;

const GEMINI_KEYS = new Set(['type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum', 'additionalProperties']);
const GEMINI_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const GEMINI_FORMATS: Record<string, string[]> = { string: ['enum', 'date-time'], number: ['float', 'double'], integer: ['int32', 'int64'] };
const OPENAI_STRICT_KEYS = new Set(['type', 'description', 'title', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf', '$ref', '$defs', 'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems']);

/** Visits every schema node with its path (properties, items, anyOf). */
function walk(node: Schema, visit: (n: Schema, path: string, depth: number) => void, path = '', depth = 1): void {
  visit(node, path || '(root)', depth);
  for (const [k, v] of Object.entries((node.properties as Record<string, Schema> | undefined) ?? {})) walk(v, visit, `${path}${path ? '.' : ''}${k}`, depth + 1);
  if (node.items && typeof node.items === 'object') walk(node.items as Schema, visit, `${path}[]`, depth + 1);
  for (const [i, v] of ((node.anyOf as Schema[] | undefined) ?? []).entries()) walk(v, visit, `${path}|${i}`, depth);
}

/** The problems Gemini's function declarations would refuse in this schema. */
export function geminiProblems(schema: Schema): string[] {
  const out: string[] = [];
  walk(schema, (n, at) => {
    for (const k of Object.keys(n)) if (!GEMINI_KEYS.has(k)) out.push(`${at}: "${k}" is not a Gemini Schema field`);
    if (!('anyOf' in n)) {
      if (typeof n.type !== 'string' || !GEMINI_TYPES.has(n.type)) out.push(`${at}: type must be one type name, got ${JSON.stringify(n.type)}`);
    }
    if (n.type === 'object' && (!n.properties || Object.keys(n.properties as object).length === 0)) out.push(`${at}: an object needs properties`);
    if (n.type === 'array' && !n.items) out.push(`${at}: an array needs items`);
    if ('additionalProperties' in n && n.additionalProperties !== false) out.push(`${at}: additionalProperties may only be false`);
    if (n.enum !== undefined && (n.type !== 'string' || !(n.enum as unknown[]).every((e) => typeof e === 'string'))) out.push(`${at}: enum only on strings`);
    if (n.format !== undefined && !(GEMINI_FORMATS[n.type as string] ?? []).includes(n.format as string)) out.push(`${at}: format ${String(n.format)} is not supported for ${String(n.type)}`);
    for (const r of (n.required as string[] | undefined) ?? []) if (!(n.properties as object | undefined) || !(r in (n.properties as object))) out.push(`${at}: required "${r}" is not a property`);
  });
  return out;
}

/** The problems OpenAI function calling (strict-ready) would refuse; `strict` also checks all-required. */
export function openAiProblems(schema: Schema, strict: boolean): string[] {
  const out: string[] = [];
  if (schema.type !== 'object' || !schema.properties) out.push('(root): must be an object with properties');
  for (const k of ['anyOf', 'oneOf', 'allOf', 'enum', 'not']) if (k in schema) out.push(`(root): "${k}" is not allowed at the root`);
  let props = 0;
  let enums = 0;
  walk(schema, (n, at, depth) => {
    if (depth > 10) out.push(`${at}: nested deeper than 10 levels`);
    for (const k of Object.keys(n)) if (!OPENAI_STRICT_KEYS.has(k)) out.push(`${at}: "${k}" is not supported in strict mode`);
    if (n.type === 'object') {
      if (n.additionalProperties !== false) out.push(`${at}: objects must be closed (additionalProperties: false)`);
      const keys = Object.keys((n.properties as object | undefined) ?? {});
      props += keys.length;
      if (strict) for (const k of keys) if (!((n.required as string[] | undefined) ?? []).includes(k)) out.push(`${at}: strict mode needs "${k}" in required`);
    }
    if (Array.isArray(n.type)) out.push(`${at}: type arrays are not accepted in inputs`);
    enums += ((n.enum as unknown[] | undefined) ?? []).length;
  });
  if (props > 5000) out.push(`${props} properties (at most 5000)`);
  if (enums > 1000) out.push(`${enums} enum values (at most 1000)`);
  return out;
}
