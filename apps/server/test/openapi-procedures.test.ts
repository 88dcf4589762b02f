/**
 * Guards the one module that reads tRPC's internals (src/openapi/procedures.ts): if a tRPC upgrade moves
 * `_def.procedures`, `inputs`, `output` or `meta`, this fails by name instead of the document silently losing
 * procedures or schemas.
 */
import { appRouter } from "@memory-mirror/api";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { listProcedures } from "../src/openapi/procedures.ts";

/** The procedure names as the router's public shape has them (nested records → dotted paths). */
function publicNames(record: object, prefix = ""): string[] {
  return Object.entries(record).flatMap(([key, value]: [string, unknown]) =>
    typeof value === "function" ? [`${prefix}${key}`] : publicNames(value as object, `${prefix}${key}.`),
  );
}

describe("reading the router's procedures (tRPC internals)", () => {
  const procedures = listProcedures();

  it("finds every procedure of the router under its dotted name", () => {
    expect(procedures.map((p) => p.name).sort()).toEqual(publicNames(appRouter._def.record).sort());
    expect(procedures.length).toBeGreaterThanOrEqual(5);
  });

  it("gets each procedure's type, zod input and output, and meta", () => {
    for (const p of procedures) {
      expect(["query", "mutation", "subscription"], p.name).toContain(p.type);
      // keys.list takes no input; every other procedure has one.
      if (p.name !== "keys.list") expect(p.input, `${p.name} input`).toBeInstanceOf(z.ZodType);
      // A subscription yields events (meta.events) rather than one output.
      if (p.type === "subscription") expect(p.meta?.events, `${p.name} events`).toBeInstanceOf(z.ZodType);
      else expect(p.output, `${p.name} output`).toBeInstanceOf(z.ZodType);
      expect(p.meta?.summary, `${p.name} summary`).toMatch(/\w/);
    }
    expect(procedures.find((p) => p.name === "videoAnalysis.byVideoId")?.type).toBe("query");
    expect(procedures.find((p) => p.name === "videoAnalysis.create")?.type).toBe("mutation");
    expect(procedures.find((p) => p.name === "videoAnalysis.onChange")?.type).toBe("subscription");
  });
});
