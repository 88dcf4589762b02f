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
}
