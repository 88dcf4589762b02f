/**
 * REST's names are the service's in snake_case (recordedBefore → recorded_before). The service words its refusals
 * with its own names, once for every transport; REST answers them in its own through this one rule.
 *
 * Only the REST contract's own field names are renamed, never a caller's text: the service quotes what a caller sent
 * (a `when` phrase, a video_id, a metadata key that is no plain name) with JSON.stringify, and quoted text is left
 * whole however many quotes or camelCase words it holds. A guess over any camelCase word renamed `metadata.my
 * cameraModel` and lost its place after a `"` inside a caller's value.
 */

/**
 * Every REST field name that differs from the service's. rest-refusal-names.test.ts checks it against the served
 * OpenAPI document, so a new snake_case field cannot be missed here.
 */
export const REST_FIELD_NAMES = [
  "changed_at",
  "created_at",
  "embedding_model",
  "expires_at",
  "last_event_id",
  "max_chars",
  "min_score",
  "next_cursor",
  "order_by",
  "recorded_after",
  "recorded_at",
  "recorded_before",
  "updated_at",
  "video_id",
  "video_ids",
] as const;

const camelCase = (name: string) => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
const REST_NAME = new Map<string, string>(REST_FIELD_NAMES.map((name) => [camelCase(name), name]));

/** REST's name of a service field or value; any other word (a caller's key) as it is. */
export const restName = (name: string) => REST_NAME.get(name) ?? name;

/** A JSON string literal, escapes included: the caller's text as the service quoted it. */
const QUOTED = /("(?:[^"\\]|\\.)*")/;

/** A word that does not follow a dot or bracket: a key after one is inside the caller's value (metadata.videoId). */
const WORD = /(?<![\w.$\]])[A-Za-z_$][\w$]*/g;

/** A service message (a refused input) in REST's words: its field names in snake_case, quoted text untouched. */
export function inRestWords(message: string): string {
  return message
    .split(QUOTED)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(WORD, restName)))
    .join("");
}
