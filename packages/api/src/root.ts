import type { AnyProcedure } from "@trpc/server";
import { keysRouter } from "./access/router.ts";
import { createTRPCRouter, type ProcedureMeta } from "./trpc.ts";
import { videoAnalysisRouter } from "./video-analysis/router.ts";

export const appRouter = createTRPCRouter({
  videoAnalysis: videoAnalysisRouter,
  keys: keysRouter,
});

export type AppRouter = typeof appRouter;

type PathsOf<R> = {
  [K in keyof R & string]: R[K] extends AnyProcedure ? K : `${K}.${PathsOf<R[K]>}`;
}[keyof R & string];
/** A procedure's dotted path, e.g. `videoAnalysis.create`. */
export type ProcedurePath = PathsOf<AppRouter["_def"]["record"]>;

/**
 * What a procedure declares about who may call it (its meta): other transports that serve the same operation
 * (REST) enforce this declaration instead of keeping their own.
 */
export function accessOf(path: ProcedurePath): Pick<ProcedureMeta, "scopes" | "keyOnly" | "inputScopes"> {
  // tRPC keeps every procedure under its dotted path in this flat record (its type nests them).
  const procedure = (appRouter._def.procedures as Record<string, unknown>)[path] as AnyProcedure | undefined;
  const meta = procedure?._def.meta as ProcedureMeta | undefined;
  if (!meta?.scopes) throw new Error(`Procedure ${path} declares no scopes`);
  return { scopes: meta.scopes, keyOnly: meta.keyOnly, inputScopes: meta.inputScopes };
}
