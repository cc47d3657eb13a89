/**
 * Every tool's input schema, exactly as tools/list shows it, against the rules of the two
 * function-calling dialects models are driven with (docs/protocol.md):
 *
 * - Google Gemini function declarations (`parameters`, an OpenAPI 3.0 Schema subset): only the
 *   Schema fields (type, format, description, nullable, enum, items, properties, required,
 *   min/maxItems, min/maxLength, min/maxProperties, pattern, minimum, maximum, anyOf, ...), one
 *   type name per value, objects with properties, no propertyNames, no $ref/const/oneOf/allOf.
 *   `additionalProperties: false` is the one extra key allowed here: Gemini's
 *   `parametersJsonSchema` takes it, and the Gemini clients that fill `parameters` (google-genai,
 *   LangChain, the AI SDK) drop it, as they drop `$schema`. `propertyNames` and property-less
 *   objects (what zod records produced) are what they could not handle.
 * - OpenAI function calling: an object root without anyOf/oneOf/allOf/enum/not; and strict-ready:
 *   every object closed (`additionalProperties: false`), only keywords strict mode supports, at
 *   most 10 levels of nesting, 5000 properties and 1000 enum values. Strict mode also wants every
 *   property required: a tool whose arguments are all required opts in, and is checked for it.
 */
import { describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../tools/index.js';
import { jsonSchemaOf } from '../tools/json-schema.js';
import { geminiProblems, openAiProblems, type Schema } from './dialect-rules.js';

/** A tool opts in to OpenAI strict mode when every argument, at every level, is required. */
const allRequired = (schema: Schema): boolean => openAiProblems(schema, true).every((p) => !p.includes('strict mode needs'));

describe('the checker itself', () => {
  it('finds what broke Gemini and OpenAI before: records, propertyNames, open objects, type arrays', () => {
    const record = { type: 'object', properties: { meta: { type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} } } };
    expect(geminiProblems(record).some((p) => p.includes('propertyNames'))).toBe(true);
    expect(openAiProblems(record, false).some((p) => p.includes('closed'))).toBe(true);
    expect(openAiProblems({ type: 'object', properties: { a: { type: ['string', 'null'] } }, additionalProperties: false }, false).some((p) => p.includes('type arrays'))).toBe(true);
    expect(geminiProblems({ type: 'object', properties: { a: { type: 'string', const: 'x' } } }).some((p) => p.includes('const'))).toBe(true);
    expect(openAiProblems({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, true)).toEqual(['a: strict mode needs "a" in required'.replace('a:', '(root):')]);
  });
});

describe.each(ALL_TOOLS.map((t) => [t.name, t] as const))('%s input schema', (_name, tool) => {
  const schema = jsonSchemaOf(tool.input, 'input');
  it('is accepted by Gemini function declarations', () => {
    expect(geminiProblems(schema)).toEqual([]);
  });
  it('is accepted by OpenAI function calling (strict-ready; strict where every argument is required)', () => {
    expect(openAiProblems(schema, allRequired(schema))).toEqual([]);
  });
});
