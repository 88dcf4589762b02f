import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { type AppRouter, appRouter } from "./root.ts";
import { createCallerFactory } from "./trpc.ts";

/** Calls procedures in process, without HTTP: `createCaller(createContext({ prisma }))`. */
export const createCaller = createCallerFactory(appRouter);

/** Inputs of every procedure, e.g. `RouterInputs["videoAnalysis"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs["videoAnalysis"]["byVideoId"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export { appRouter, type AppRouter };
export { createContext, type Context, type CreateContextOptions, type ProcedureMeta } from "./trpc.ts";
export * from "./errors.ts";
export * from "./schemas.ts";
export { type Scope, videoAnalysisService } from "./video-analysis/service.ts";
