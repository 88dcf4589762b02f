import { z } from "zod";

export type JsonObject = { [key: string]: unknown };

/**
 * A zod schema as a JSON Schema for an OpenAPI document: `$defs` (schemas with `.meta({ id })`) move to
 * `components` (components.schemas), and refs follow them. Two different schemas under one id would be a silent
 * lie: throw.
 */
export function toSchema(schema: z.ZodType, io: "input" | "output", components: JsonObject): JsonObject {
  const { $schema: _, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonObject;
  for (const [id, def] of Object.entries(($defs ?? {}) as JsonObject)) {
    const moved = rewriteRefs(def) as JsonObject;
    const existing = components[id];
    if (existing && JSON.stringify(existing) !== JSON.stringify(moved)) {
      throw new Error(`OpenAPI: two different schemas are both named ${id} (${io})`);
    }
    components[id] = moved;
  }
  return rewriteRefs(rest) as JsonObject;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === "$ref" && typeof v === "string" ? v.replace(/^#\/\$defs\//, "#/components/schemas/") : rewriteRefs(v),
    ]),
  );
}
