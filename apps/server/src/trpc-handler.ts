import { appRouter, createContext } from "@memory-mirror/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./app-env.ts";
import type { ServerConfig } from "./config.ts";
import type { Logger } from "./logger.ts";

/** /trpc/*: the router over tRPC's fetch adapter, batching on, with the body limit in tRPC's error shape. */
export function createTrpcRoutes(config: ServerConfig, logger: Logger): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(
    "/trpc/*",
    bodyLimit({
      maxSize: config.maxBodyBytes,
      // The shape tRPC clients understand, so the typed client surfaces a readable TRPCClientError.
      onError: (c) =>
        c.json(
          {
            error: {
              message: `Request body is larger than ${config.maxBodyBytes} bytes`,
              code: TRPC_ERROR_CODES_BY_KEY.PAYLOAD_TOO_LARGE,
              data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 },
            },
          },
          413,
        ),
    }),
  );
  app.all("/trpc/*", (c) =>
    fetchRequestHandler({
      endpoint: "/trpc",
      req: c.req.raw,
      router: appRouter,
      createContext: () => createContext(c.var.scope),
      maxBatchSize: config.maxBatchSize,
      // Lets the client send long query batches as POST instead of overlong URLs.
      allowMethodOverride: true,
      onError({ error, path }) {
        if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ err: error, path, reqId: c.var.requestId }, "procedure failed");
      },
    }),
  );
  return app;
}
