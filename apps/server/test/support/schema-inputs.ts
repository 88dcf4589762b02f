/**
 * fast-check arbitraries for hostile inputs driven by a JSON Schema (a procedure's zod input as JSON Schema, an
 * OpenAPI parameter or body, an MCP tool's inputSchema): values that nearly fit (each field at, inside and just past
 * its documented bounds, or of the wrong type, or missing, plus keys nobody declared), arbitrary JSON, and deep
 * nesting. What a client can send within the documented limits, sensible or not.
 */
import fc from "fast-check";

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  $ref?: string;
}

/** JSON text sent as it is: nesting too deep for JSON.stringify (and perhaps for the server's parser). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text nested `depth` levels deep, as arrays or objects. */
export const nested = (depth: number, kind: "array" | "object") =>
  new RawJson(
    kind === "array" ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
  );

/** The text of an input for the wire. */
export const jsonText = (input: unknown) => (input instanceof RawJson ? input.text : JSON.stringify(input));

/** Strings people and programs send that trip code up: empty, blank, control, bidi, emoji, lone surrogates, NUL. */
const awkwardStrings = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfff",
  "\u202eevil",
  "שלום עולם",
  "👩‍👩‍👧‍👦",
  "%00",
  "../../etc/passwd",
  "'; DROP TABLE x; --",
  "\\",
  '"',
  "null",
  "NaN",
  "-1",
  "2026-13-45T99:99:99Z",
  "9999-12-31T23:59:59Z",
  "0000-01-01T00:00:00Z",
  "+275760-09-13T00:00:00Z",
);

/** Strings of exactly `n` UTF-16 units built from a character that may be a surrogate pair ("👍" counts 2). */
const ofLength = (n: number) =>
  fc.constantFrom("a", "é", "👍", " ", "\u0000").map((c) => c.repeat(Math.ceil(n / c.length)).slice(0, n));

function strings(schema: JsonSchema): fc.Arbitrary<string> {
  const bounds: number[] = [];
  if (schema.maxLength !== undefined) bounds.push(schema.maxLength, schema.maxLength + 1);
  if (schema.minLength !== undefined && schema.minLength > 0) bounds.push(schema.minLength - 1);
  const dates =
    schema.format === "date-time"
      ? [fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant("2026-12-06T12:00:00+14:00")]
      : [];
  return fc.oneof(
    awkwardStrings,
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ maxLength: 20 }),
    ...bounds.map((n) => ofLength(n)),
    ...dates,
  );
}

function numbers(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const edges = [0, -0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE];
  for (const bound of [schema.minimum, schema.maximum, schema.exclusiveMinimum, schema.exclusiveMaximum]) {
    if (bound !== undefined) edges.push(bound, bound - 1, bound + 1, bound + 0.5);
  }
  return fc.oneof(
    fc.constantFrom(...edges),
    integer ? fc.integer() : fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
}

/** Any JSON value of the wrong kind for most fields. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 10 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

const extraKeys = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "toString", "")),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 2 },
);

/**
 * Values for `schema`: mostly of its shape with hostile leaves, sometimes of the wrong type. `resolve` follows
 * `$ref`s (an OpenAPI document's components).
 */
export function hostileFor(
  schema: JsonSchema,
  resolve: (ref: string) => JsonSchema = () => ({}),
  depth = 0,
): fc.Arbitrary<unknown> {
  if (schema.$ref) return hostileFor(resolve(schema.$ref), resolve, depth);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => hostileFor(v, resolve, depth)));
  if (schema.allOf) return fc.oneof(...schema.allOf.map((v) => hostileFor(v, resolve, depth)));
  const shaped = shapedFor(schema, resolve, depth);
  return fc.oneof({ arbitrary: shaped, weight: 5 }, { arbitrary: wrongType, weight: 1 });
}

function shapedFor(schema: JsonSchema, resolve: (ref: string) => JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return strings(schema);
    case "integer":
    case "number":
      return numbers(schema, type === "integer");
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const items = depth > 4 ? wrongType : hostileFor(schema.items ?? {}, resolve, depth + 1);
      const small = fc.array(items, { maxLength: 3 });
      // One past the documented count, of one repeated item: the bound's own refusal, cheaply.
      const past =
        schema.maxItems !== undefined && schema.maxItems <= 1000
          ? [items.map((item) => Array.from({ length: schema.maxItems! + 1 }, () => item))]
          : [];
      return fc.oneof(small, ...past);
    }
    case "object": {
      if (!schema.properties || depth > 4) return fc.jsonValue({ maxDepth: 3 });
      const fields = Object.fromEntries(
        Object.entries(schema.properties).map(([key, value]) => [key, hostileFor(value, resolve, depth + 1)]),
      );
      const declared = fc.record(fields, { requiredKeys: [] });
      return fc.oneof(
        { arbitrary: declared, weight: 4 },
        { arbitrary: fc.tuple(declared, extraKeys).map(([d, e]) => ({ ...e, ...d })), weight: 1 },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/** A whole input: schema-driven most of the time, else arbitrary JSON or nesting far past any declared depth. */
export function hostileInput(schema: JsonSchema | undefined, resolve?: (ref: string) => JsonSchema) {
  return fc.oneof(
    { arbitrary: schema ? hostileFor(schema, resolve) : fc.jsonValue({ maxDepth: 2 }), weight: 8 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.constantFrom(50, 2000, 100_000), fc.constantFrom("array" as const, "object" as const))
        .map(([d, kind]) => nested(d, kind)),
      weight: 1,
    },
  );
}
