/** What every video-analysis operation acts through (service.ts, bulk.ts, search.ts and the others). */
import type { PrismaClient } from "@memory-mirror/db";
import type { ResponseBudget } from "../budget.ts";
import type { RequestReads } from "../read-routing.ts";
import type { VideoLookups } from "./video-lookups.ts";

/** What every operation acts through: the database, the caller's one space, and the request's answer budget. */
export interface ServiceContext {
  prisma: PrismaClient;
  space: string;
  budget: ResponseBudget;
  /** Lookups by videoId, gathered per request into one query (createVideoLookups). */
  lookups: VideoLookups;
  /** Earlier versions kept per analysis (HISTORY_LIMIT); 50 when not given, 0 keeps none. */
  historyLimit?: number;
  /** Where read-only operations run (read-routing.ts); without it everything runs on `prisma`. */
  reads?: RequestReads;
  /**
   * Aborts when the caller is gone (the client hung up). The reads that can run long (search, context, list,
   * export, tags) pass it to their statements, which are then cancelled on PostgreSQL or not started; writes never
   * take it, so a write commits or rolls back whole. Tests and the CLI give none.
   */
  signal?: AbortSignal;
}

/** `ctx` with its caller's abort signal (tRPC's `signal`, a REST request's), for a read that can run long. */
export const withSignal = <C extends ServiceContext>(ctx: C, signal: AbortSignal | undefined): C =>
  signal ? { ...ctx, signal } : ctx;
