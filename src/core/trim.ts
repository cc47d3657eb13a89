/**
 * Removes a character from both ends (or one end) by index. Regexes such as /\/+$/ look linear but
 * retry from every position of a long run that is not at the end: quadratic on crafted input.
 */
export function trimChar(s: string, ch: string, ends: 'both' | 'end' = 'both'): string {
  let start = 0;
  let end = s.length;
  if (ends === 'both') while (start < end && s[start] === ch) start++;
  while (end > start && s[end - 1] === ch) end--;
  return s.slice(start, end);
}
