import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { accessOf, type AppRouter, appRouter, type ProcedurePath } from "./root.ts";
import { createCallerFactory } from "./trpc.ts";

/** Calls procedures in process, without HTTP: `createCaller(createContext({ prisma, principal, space }))`. */
export const createCaller = createCallerFactory(appRouter);

/** Inputs of every procedure, e.g. `RouterInputs["videoAnalysis"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure, e.g. `RouterOutputs["videoAnalysis"]["byVideoId"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export { accessOf, appRouter, type AppRouter, type ProcedurePath };
export {
  ANONYMOUS,
  type Principal,
  requireKey,
  requireScope,
  requireScopes,
  resolveSpace,
} from "./access/principal.ts";
export { createKeyVerifier, type KeyVerifier, keyService } from "./access/service.ts";
export type { BudgetLimits } from "./budget.ts";
export {
  type CallRecord,
  createContext,
  type Context,
  type CreateContextOptions,
  type InputScopes,
  type ProcedureMeta,
  requireAccess,
  TRPC_CODE_OF,
} from "./trpc.ts";
export * from "./errors.ts";
export * from "./schemas.ts";
export { type Precondition, videoAnalysisService } from "./video-analysis/service.ts";
export { type ServiceContext, withSignal } from "./video-analysis/service-context.ts";
export { bulkService } from "./video-analysis/bulk.ts";
export { historyService } from "./video-analysis/history.ts";
export { searchService } from "./video-analysis/search-service.ts";
export { ChangeFeed, type ChangeFeedOptions, StreamEndedError } from "./changes/feed.ts";
export { type Change, pruneChanges, wireEvent } from "./changes/log.ts";
export { controlEvent } from "./changes/events.ts";
export {
  mintStreamToken,
  STREAM_TOKEN_PREFIX,
  STREAM_TOKEN_TTL_MS,
  type StreamTokenCheck,
  verifyStreamToken,
} from "./changes/stream-token.ts";
