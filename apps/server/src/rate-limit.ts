import type { PrismaClient } from "@memory-mirror/db";
import { RateLimiterMemory, RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import type { ServerConfig } from "./config.ts";
import type { Logger } from "./logger.ts";

export interface RateLimit {
  /** Counts `calls` for `who`; resolves to the seconds to wait when over the limit, else undefined. */
  consume(who: string, calls: number): Promise<number | undefined>;
}

/**
 * Calls per minute per caller. In memory by default; in the database (RATE_LIMIT_STORE=database) when replicas
 * must share one budget, with this process's memory standing in while the database does not answer.
 */
export function createRateLimit(config: ServerConfig, prisma: PrismaClient, logger: Logger): RateLimit | undefined {
  if (config.rateLimitPerMinute === 0) return undefined;
  const options = { points: config.rateLimitPerMinute, duration: 60 };
  const memory = new RateLimiterMemory(options);
  const limiter =
    config.rateLimitStore === "database"
      ? new RateLimiterPrisma({
          ...options,
          storeClient: prisma,
          tableName: "rateLimit",
          insuranceLimiter: memory,
          clearExpiredByTimeout: false,
        })
      : memory;
  return {
    async consume(who, calls) {
      try {
        await limiter.consume(who, calls);
        return undefined;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        logger.warn({ err: rejection }, "rate limiter failed; letting the call through");
        return undefined;
      }
    },
  };
}
