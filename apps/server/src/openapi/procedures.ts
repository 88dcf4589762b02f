/**
 * The one place that reads tRPC's internals: the router's procedures with their zod parsers and meta.
 * tRPC has no public API for this; test/openapi-procedures.test.ts fails loudly if the internals change.
 */
import { appRouter, type ProcedureMeta } from "@memory-mirror/api";
import { z } from "zod";

export interface ProcedureInfo {
  /** Dotted path, e.g. `videoAnalysis.create`. */
  name: string;
  type: "query" | "mutation" | "subscription";
  input: z.ZodType | undefined;
  output: z.ZodType | undefined;
  meta: ProcedureMeta | undefined;
}

interface ProcedureDef {
  type: ProcedureInfo["type"];
  inputs: unknown[];
  output?: unknown;
  meta?: ProcedureMeta;
}
const isProcedure = (value: unknown): value is { _def: ProcedureDef } =>
  typeof value === "function" &&
  "_def" in value &&
  typeof value._def === "object" &&
  value._def !== null &&
  "inputs" in value._def;

/**
 * At run time tRPC keeps procedures flat under dotted names in `_def.procedures` (its types describe the nested
 * record), with `inputs` and `output` on each `_def`.
 */
export function listProcedures(): ProcedureInfo[] {
  return Object.entries(appRouter._def.procedures as Record<string, unknown>).map(([name, procedure]) => {
    if (!isProcedure(procedure)) throw new Error(`OpenAPI: ${name} is not a tRPC procedure`);
    const { type, inputs, output, meta } = procedure._def;
    if (inputs.length > 1) throw new Error(`OpenAPI: ${name} chains several input parsers; merge them to document it`);
    const input = inputs[0];
    return {
      name,
      type,
      input: input instanceof z.ZodType ? input : undefined,
      output: output instanceof z.ZodType ? output : undefined,
      meta,
    };
  });
}
