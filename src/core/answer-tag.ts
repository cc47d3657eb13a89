/**
 * An answer's identity: a string that changes whenever anything in the answer could (the row's id,
 * version and update time, the URL it names). Adapters may reuse work done for an equal tag, such as
 * serialising the same unchanged page again. Kept as a symbol, so it never reaches the output.
 */
const TAG = Symbol('sitepub.answerTag');

export function tagAnswer<T extends object>(answer: T, tag: string): T {
  Object.defineProperty(answer, TAG, { value: tag, enumerable: false });
  return answer;
}

export function answerTag(answer: unknown): string | undefined {
  return answer && typeof answer === 'object' ? ((answer as { [TAG]?: string })[TAG] ?? undefined) : undefined;
}
