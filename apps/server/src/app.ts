import { type ChangeFeed, createKeyVerifier } from "@memory-mirror/api";
import type { Database } from "@memory-mirror/db";
import { Hono, type MiddlewareHandler } from "hono";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { accessLog } from "./access-log.ts";
import type { AppEnv } from "./request-variables.ts";
import type { ServerConfig } from "./config.ts";
import { ConcurrencyShares } from "./concurrency.ts";
import { createDocsRoutes } from "./docs.ts";
import { createAuthFailureLimiter, type GuardDeps } from "./guards.ts";
import { createHealthRoutes } from "./health.ts";
import type { Logger } from "./logger.ts";
import { createMcpRoute } from "./mcp.ts";
import type { Metrics } from "./metrics.ts";
import { createOpenApiRoute } from "./openapi/document.ts";
import { createRateLimit } from "./rate-limit.ts";
import { requestIds } from "./request-id.ts";
import { createRestApi } from "./rest/index.ts";
import { corsPolicy, securityHeaders } from "./security.ts";
import { StreamSlots } from "./streams.ts";
import { createTrpcRoutes } from "./trpc-handler.ts";
import { createWebAppRoutes } from "./web-app.ts";

export interface AppDeps {
  db: Database;
  config: ServerConfig;
  logger: Logger;
  /** True once shutdown began: readiness fails so load balancers stop sending traffic. */
  isDraining: () => boolean;
  /** The process's change feed (built by the server, which closes it on shutdown). */
  changes: ChangeFeed;
  /** This app's metrics (the server feeds the change feed's figures into them). */
  metrics: Metrics;
  /** The built web app served at `/` (default: apps/web/dist). */
  webDir?: string;
}

/**
 * What every request passes first, in this order: its id, the access line with the request metrics, secure headers,
 * the CORS policy. (bench/layer-servers.ts runs the first two, then all four, to measure them.)
 */
export function requestMiddleware(
  metrics: Metrics,
  logger: Logger,
  corsOrigins: readonly string[],
): MiddlewareHandler<AppEnv>[] {
  return [requestIds, accessLog(metrics, logger), securityHeaders, corsPolicy(corsOrigins)];
}

export function createApp({ db, config, logger, isDraining, changes, metrics, webDir }: AppDeps): Hono<AppEnv> {
  // strict: false — every path answers with and without a trailing slash, as the original service did.
  // RegExpRouter, not the default that falls back to TrieRouter when one route's pattern does not fit it: the fallback
  // (a static path beside a `:param` one did it) cost every request a trie walk; now such a route fails at startup.
  const app = new Hono<AppEnv>({ strict: false, router: new RegExpRouter() });

  app.use(...requestMiddleware(metrics, logger, config.corsOrigins));

  const guards: GuardDeps = {
    config,
    prisma: db.prisma,
    reads: db.reads,
    verifyKey: createKeyVerifier(db.prisma, {
      cacheMs: config.keyCacheMs,
      onTouchError: (error) => logger.warn({ err: error }, "could not record a key's last use"),
    }),
    rateLimit: createRateLimit(config, db.prisma, logger),
    authFailures: createAuthFailureLimiter(config, db.prisma),
    shares: new ConcurrencyShares(config.keyConcurrency, config.keyQueueMs),
    metrics,
    changes,
  };
  const streams = new StreamSlots(config, metrics);
  const rest = createRestApi(guards, logger, streams);

  app.route("/", createHealthRoutes(db, logger, isDraining));
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
  );
  app.route("/", createTrpcRoutes(guards, logger, streams));
  // The original service's REST API over the same service, MCP for LLM applications, the OpenAPI document, /docs.
  app.route("/", rest);
  app.route("/", createMcpRoute(guards, logger));
  app.route("/", createOpenApiRoute(rest));
  app.route("/", createDocsRoutes());
  const web = createWebAppRoutes(webDir);
  app.route("/", web.routes);

  app.notFound((c) => web.fallback(c) ?? c.json({ detail: "Not Found" }, 404));
  app.onError((error, c) => {
    logger.error({ err: error, reqId: c.var.requestId }, "unhandled error");
    return c.json({ detail: "Internal Server Error" }, 500);
  });
  // RegExpRouter builds its matcher on the first match: build it now, so a route it cannot hold fails at startup
  // rather than every request (health checks included) failing with a 500.
  app.router.match("GET", "/");
  return app;
}
