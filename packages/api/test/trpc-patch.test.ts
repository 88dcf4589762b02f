/**
 * Guards patches/@trpc__server@11.25.2.patch (see patches/README.md): the @trpc/server this package runs carries
 * the fast object-spread helper. If an upgrade drops the patch, this fails and says where to look.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { initTRPC } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";

describe("the @trpc/server patch", () => {
  it("is applied to the @trpc/server this package loads (patches/README.md)", async () => {
    const dist = path.dirname(fileURLToPath(import.meta.resolve("@trpc/server")));
    const patched: [RegExp, string][] = [
      [/^getErrorShape-.*\.(mjs|cjs)$/, "// memory-mirror patch: object spread as Object.assign"],
      [/^resolveResponse-.*\.(mjs|cjs)$/, "// memory-mirror patch: only a subscription can be aborted on its own"],
      [/^resolveResponse-.*\.(mjs|cjs)$/, "// memory-mirror patch: only an answer that streams"],
      [/^initTRPC-.*\.(mjs|cjs)$/, "// memory-mirror patch: a native copy of the options"],
      [/^initTRPC-.*\.(mjs|cjs)$/, "// memory-mirror patch: a native copy, then the parsed data"],
      [/^asyncGeneratorDelegate-.*\.(mjs|cjs)$/, "// memory-mirror patch: native copies, then the serialized data"],
    ];
    const names = await readdir(dist);
    for (const [file, marker] of patched) {
      const files = names.filter((name) => file.test(name));
      expect(files, String(file)).toHaveLength(2);
      for (const name of files)
        expect(await readFile(path.join(dist, name), "utf8"), `${name} should carry the patch`).toContain(marker);
    }
  });

  it("still gives procedures the request's abort signal", async () => {
    const t = initTRPC.create();
    const router = t.router({ p: t.procedure.query(({ signal }) => signal?.aborted ?? "no signal") });
    const { fetchRequestHandler } = await import("@trpc/server/adapters/fetch");
    const controller = new AbortController();
    const response = await fetchRequestHandler({
      endpoint: "/trpc",
      router,
      req: new Request("http://localhost/trpc/p", { signal: controller.signal }),
    });
    expect(await response.json()).toEqual({ result: { data: false } });
  });

  it("aborts a query's signal when its request's signal aborts (no AbortSignal.any of its own)", async () => {
    const t = initTRPC.create();
    const controller = new AbortController();
    const router = t.router({
      p: t.procedure.query(
        ({ signal }) =>
          new Promise<string>((resolve) => {
            if (!signal) return resolve("no signal");
            signal.addEventListener("abort", () => resolve("aborted"), { once: true });
            controller.abort();
          }),
      ),
    });
    const { fetchRequestHandler } = await import("@trpc/server/adapters/fetch");
    const response = await fetchRequestHandler({
      endpoint: "/trpc",
      router,
      req: new Request("http://localhost/trpc/p", { signal: controller.signal }),
    });
    expect(await response.json()).toEqual({ result: { data: "aborted" } });
  });

  it("still aborts a streamed batch's calls when its reader cancels the answer", async () => {
    const t = initTRPC.create();
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
    const router = t.router({
      p: t.procedure.query(
        ({ signal }) =>
          new Promise<string>((resolve) => {
            signal?.addEventListener("abort", () => {
              aborted();
              resolve("aborted");
            });
          }),
      ),
    });
    const { fetchRequestHandler } = await import("@trpc/server/adapters/fetch");
    const response = await fetchRequestHandler({
      endpoint: "/trpc",
      router,
      req: new Request(`http://localhost/trpc/p?batch=1&input=${encodeURIComponent("{}")}`, {
        headers: { "trpc-accept": "application/jsonl" },
      }),
    });
    await response.body?.cancel();
    await expect(sawAbort).resolves.toBeUndefined();
  });

  it("answers each call of a batch with what its output parser made of the resolver's value", async () => {
    const t = initTRPC.create();
    const router = t.router({
      p: t.procedure
        .input((value) => value as { n: number })
        .output(z.object({ n: z.number() }).transform(({ n }) => ({ doubled: n * 2 })))
        .query(({ input }) => input),
    });
    const { fetchRequestHandler } = await import("@trpc/server/adapters/fetch");
    const response = await fetchRequestHandler({
      endpoint: "/trpc",
      router,
      allowMethodOverride: true,
      req: new Request("http://localhost/trpc/p,p?batch=1", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ 0: { n: 1 }, 1: { n: 4 } }),
      }),
    });
    expect(await response.json()).toEqual([{ result: { data: { doubled: 2 } } }, { result: { data: { doubled: 8 } } }]);
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
