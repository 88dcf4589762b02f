/**
 * `metadata`: what the producer knows about a video (title, place, people, duration…), a bounded JSON object stored
 * as jsonb and found by containment (`@>`, through its GIN index). Values only (zod).
 */
import { z } from "zod";
import { METADATA_MAX_BYTES, METADATA_MAX_DEPTH, METADATA_MAX_KEYS } from "../limits.ts";

/** Any JSON value (zod's own definition, so answers' types and this one are the same). */
export type MetadataValue = z.core.util.JSONType;
export type Metadata = Record<string, MetadataValue>;

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A key's step in a path: `.place` for a plain name, `["my place"]` (JSON-quoted) for anything else, so a message
 * quotes the caller's key whole and no transport mistakes any of it for a field name of its own.
 */
const step = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The first way this value breaks the bounds, or undefined. Walks without recursion and stops below the depth limit,
 * so a hostile nesting costs no stack. Keys are counted in every object, at every level.
 */
function problem(root: Record<string, unknown>, name: string): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: root, depth: 1, path: name }];
  let keys = 0;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as (typeof stack)[number];
    if (typeof value === "string") {
      if (value.includes("\0")) return `${path} must not contain NUL characters`;
      if (LONE_SURROGATE.test(value)) return `${path} must be well-formed Unicode (it holds a lone surrogate)`;
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) return `${path} must be a finite number`;
    } else if (typeof value === "boolean" || value === null) {
      // fine as it is
    } else if (Array.isArray(value) || isObject(value)) {
      if (depth > METADATA_MAX_DEPTH) return `${name} must nest at most ${METADATA_MAX_DEPTH} levels deep (${path})`;
      const entries = Array.isArray(value)
        ? value.map((v, i) => [`${path}[${i}]`, v] as const)
        : Object.entries(value).map(([k, v]) => [`${path}${step(k)}`, v] as const);
      if (!Array.isArray(value)) {
        keys += entries.length;
        if (keys > METADATA_MAX_KEYS) return `${name} must hold at most ${METADATA_MAX_KEYS} keys in all`;
        for (const key of Object.keys(value)) {
          if (key.includes("\0") || LONE_SURROGATE.test(key))
            return `${name} keys must be well-formed Unicode without NUL characters`;
        }
      }
      for (const [p, v] of entries) stack.push({ value: v, depth: depth + 1, path: p });
    } else {
      return `${path} must be a string, number, boolean, null, array or object`;
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(root), "utf8");
  if (bytes > METADATA_MAX_BYTES)
    return `${name} must be at most ${METADATA_MAX_BYTES} bytes as JSON (it has ${bytes})`;
  return undefined;
}

/** Typed as the JSON it has been checked to be, on the way in and out (so clients can send answers back). */
const metadataObject = (name: string) =>
  z.record(z.string(), z.unknown(), { error: `${name} must be a JSON object` }).superRefine((value, ctx) => {
    const message = problem(value, name);
    if (message) ctx.addIssue({ code: "custom", message });
  }) as unknown as z.ZodType<Metadata, Metadata>;

/** What a producer stores: at most 16 KB as JSON, 64 keys in all, 4 levels of nesting. */
export const metadataField = (name = "metadata") =>
  metadataObject(name).meta({
    description:
      `What the producer knows about the video, as a JSON object: at most ${METADATA_MAX_BYTES} bytes, ` +
      `${METADATA_MAX_KEYS} keys in all and ${METADATA_MAX_DEPTH} levels of nesting. Key order is not kept.`,
    example: { place: "Lisbon", people: ["Leo", "Mia"], durationSeconds: 42 },
  });

/** A containment filter: memories whose metadata holds all of this (`{"place": "Lisbon"}`). */
export const metadataFilterField = (name = "metadata") =>
  metadataObject(name).meta({
    description:
      'Only memories whose metadata contains this JSON object: `{"place": "Lisbon"}` matches any metadata with that ' +
      "key and value; arrays match when they hold the given elements.",
    example: { place: "Lisbon" },
  });

/**
 * Any JSON value, typed as one. Answers are not checked again (metadataField checked them on the way in); a
 * recursive schema (z.json()) would give OpenAPI two differing definitions of one name (REST's generator and zod's
 * own disagree on recursion), and z.custom() is one REST's generator cannot document.
 */
const metadataValue = z.unknown().meta({ description: "Any JSON value." }) as unknown as z.ZodType<
  MetadataValue,
  MetadataValue
>;

/** Metadata as answers carry it. */
export const metadataOutput = z
  .record(z.string(), metadataValue)
  .nullable()
  .meta({ description: "What the producer knows about the video, or null." });
