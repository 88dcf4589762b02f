/**
 * Guards patches/@trpc__server@11.25.2.patch (see patches/README.md): the @trpc/server this package runs carries
 * the fast object-spread helper. If an upgrade drops the patch, this fails and says where to look.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { initTRPC } from "@trpc/server";
import { describe, expect, it } from "vitest";

describe("the @trpc/server patch", () => {
  it("is applied to the @trpc/server this package loads (patches/README.md)", async () => {
    const dist = path.dirname(fileURLToPath(import.meta.resolve("@trpc/server")));
    const files = (await readdir(dist)).filter((f) => /^getErrorShape-.*\.(mjs|cjs)$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const source = await readFile(path.join(dist, file), "utf8");
      expect(source, `${file} should carry the Memory Mirror patch`).toContain("// memory-mirror patch: object spread as Object.assign");
    }
  });

  it("keeps what middlewares hand on: context, input, meta, and a context a middleware adds", async () => {
    const t = initTRPC.context<{ a: number }>().meta<{ m: string }>().create();
    const seen: unknown[] = [];
    const procedure = t.procedure
      .use(({ ctx, meta, next }) => {
        seen.push({ ctx, meta });
        return next({ ctx: { b: 2 } });
      })
      .meta({ m: "meta" })
      .input((value) => value as { x: number })
      .query(({ ctx, input }) => ({ ctx, input }));
    const caller = t.createCallerFactory(t.router({ p: procedure }))({ a: 1 });
    expect(await caller.p({ x: 3 })).toEqual({ ctx: { a: 1, b: 2 }, input: { x: 3 } });
    expect(seen).toEqual([{ ctx: { a: 1 }, meta: { m: "meta" } }]);
  });
});
