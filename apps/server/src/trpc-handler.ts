import { appRouter, DomainError } from "@memory-mirror/api";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import type { AppEnv } from "./request-variables.ts";
import { releaseWhenSent, type Release } from "./concurrency.ts";
import { admit, type GuardDeps, transportGuards } from "./guards.ts";
import { type Logger, logDatabaseRefusal } from "./logger.ts";
import { retryHeaders, trpcProblem } from "./problems.ts";
import { limitStreams, type StreamSlots } from "./streams.ts";

const ENDPOINT = "/trpc";
/** Subscriptions cannot be batched, so a stream's path is exactly this. */
const STREAM_PATH = `${ENDPOINT}/videoAnalysis.onChange`;

/** /trpc/*: the router over tRPC's fetch adapter, batching on, behind the transport guards. */
export function createTrpcRoutes(deps: GuardDeps, logger: Logger, streams: StreamSlots): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(`${ENDPOINT}/*`, ...transportGuards(deps, { render: trpcProblem, streamPath: STREAM_PATH }));
  app.use(STREAM_PATH, limitStreams(streams, trpcProblem));
  app.all(`${ENDPOINT}/*`, async (c) => {
    let release: Release | undefined;
    let streamed = false;
    const response = await fetchRequestHandler({
      endpoint: ENDPOINT,
      req: c.req.raw,
      router: appRouter,
      // tRPC has decoded the request by now (`a%2Cb` is two calls, as it will run them): count what it will run.
      async createContext({ info, resHeaders }) {
        const admission = await admit(deps, c, info.calls.length, { share: info.type !== "subscription" });
        if (admission.problem) {
          const { problem } = admission;
          for (const [name, value] of Object.entries(problem.headers ?? {})) resHeaders.set(name, value);
          throw new TRPCError({ code: problem.code, message: problem.message });
        }
        release = admission.release;
        streamed = info.accept === "application/jsonl";
        return c.get("ctx");
      },
      maxBatchSize: deps.config.maxBatchSize,
      // Lets the client send long query batches as POST instead of overlong URLs.
      allowMethodOverride: true,
      // A failure that passes (a write that collided, a busy pool) says when to retry, as REST's answer does; in a
      // batch only when every call failed so: a client resending on the header must not run its succeeded calls again.
      responseMeta({ errors, info }) {
        const retryable = errors.map((e) => e.cause).filter((c) => c instanceof DomainError && c.retryAfterSeconds);
        if (retryable.length === 0 || retryable.length !== (info?.calls.length ?? 1)) return {};
        const headers = retryHeaders(retryable[0] as DomainError);
        return headers ? { headers } : {};
      },
      onError({ error, path }) {
        logDatabaseRefusal(logger, error.cause, c.var.requestId);
        if (error.code === "INTERNAL_SERVER_ERROR")
          logger.error({ err: error, path, reqId: c.var.requestId }, "procedure failed");
      },
    });
    if (!release) return response;
    // A streamed batch's calls run until its last answer is written; any other answer is whole, its calls done: no
    // second stream around every body on the hot path.
    if (streamed) return releaseWhenSent(response, release);
    release();
    return response;
  });
  return app;
}
