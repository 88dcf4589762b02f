/**
 * Which database an operation runs on, declared once where each service lists its operations: `readOnly(fn)` may
 * run on a replica (DATABASE_REPLICA_URLS), `writes(fn)` runs on the primary and records how far the write got, so
 * that the space's later reads wait for a replica that has it. Anything else (keys, rate limits) runs on the
 * primary. Every transport calls the same wrapped functions, so tRPC, REST and MCP route alike.
 */
import type { PrismaClient, ReadRouting } from "@memory-mirror/db";
import { DomainError } from "./errors.ts";
import type { VideoLookups } from "./video-analysis/video-lookups.ts";

/** One request's view of read routing. */
export interface RequestReads {
  routing: ReadRouting;
  /** The caller asked to read from the primary (X-MM-Read-From: primary). */
  primary: boolean;
  /** This request's lookups on a client, one loader per client, so calls of one batch still share a query. */
  lookups(client: PrismaClient): VideoLookups;
}

/** What routing needs of an operation's context (ServiceContext has it). */
interface RoutedContext {
  prisma: PrismaClient;
  space: string;
  lookups: VideoLookups;
  reads?: RequestReads;
}

/** A not-found or a bad input is the operation's answer wherever it ran; anything else may be the replica's fault. */
const isAnswer = (error: unknown): boolean => error instanceof DomainError && error.kind !== "unavailable";

/** Declares a read-only operation: it runs wherever read routing sends the space's reads. */
export function readOnly<C extends RoutedContext, A extends unknown[], R>(
  operation: (ctx: C, ...args: A) => Promise<R>,
): (ctx: C, ...args: A) => Promise<R> {
  return (ctx, ...args) => {
    const reads = ctx.reads;
    if (!reads) return operation(ctx, ...args);
    return reads.routing.read(
      ctx.space,
      (client) =>
        operation(client === ctx.prisma ? ctx : { ...ctx, prisma: client, lookups: reads.lookups(client) }, ...args),
      { primary: reads.primary, isAnswer },
    );
  };
}

/** Declares a writing operation: on the primary, and the space's reads see it from then on (read-your-writes). */
export function writes<C extends RoutedContext, A extends unknown[], R>(
  operation: (ctx: C, ...args: A) => Promise<R>,
): (ctx: C, ...args: A) => Promise<R> {
  return async (ctx, ...args) => {
    try {
      return await operation(ctx, ...args);
    } finally {
      // Failed writes too: one may fail after its statement committed (the answer outgrew the budget).
      await ctx.reads?.routing.wrote(ctx.space);
    }
  };
}
