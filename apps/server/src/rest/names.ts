/**
 * REST's names are the service's in snake_case (recordedBefore → recorded_before). The service words its refusals
 * with its own names, once for every transport; REST answers them in its own through this one rule.
 */

/** REST's name of a service field or value. */
export const restName = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A camelCase word that does not follow a dot: a key after one is inside the caller's value (metadata.someKey). */
const SERVICE_NAME = /(?<![\w.])[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b/g;

/**
 * A service message (a refused input) in REST's words: its names in snake_case. Quoted text is the caller's own
 * (a video_id, a `when` phrase) and stays as it was.
 */
export function inRestWords(message: string): string {
  return message
    .split(/("[^"]*")/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(SERVICE_NAME, restName)))
    .join("");
}
