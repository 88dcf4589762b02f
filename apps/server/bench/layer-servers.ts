/**
 * The stripped servers of layers.ts: each answers the single lookup with the real packages, changing one thing of
 * the service's request path from the rung before it, mostly adding a layer (LAYER names which; PORT, DATABASE_URL,
 * DATABASE_POOL_SIZE as for the service). Never a server to use: no auth, no limits, one fixed caller in the bench
 * space.
 *   statement      GET /v/<videoId>  node:http + pg, the service's statement (its 12 columns, `= ANY`, tags as JSON)
 *   pool           GET /v/<videoId>  the same on the service's pool (openPostgres: its timeouts, rows as arrays)
 *   adapter        GET /v/<videoId>  node:http + queryDriver on createDb's pool (@prisma/adapter-pg), the driver's row
 *   decode         GET /v/<videoId>  + storedRowsOf and toAnalysis: the analysis the service answers
 *   caller         GET /trpc/videoAnalysis.byVideoId?input=…  node:http + tRPC's in-process caller: the procedure's
 *                                    middleware, zod input and output, the request's DataLoader and answer budget
 *   node-server    the same call on @hono/node-server (web Request and Response around node:http)
 *   fetch-adapter  @hono/node-server + tRPC's fetch adapter (fetchRequestHandler: URL, batching, resolveResponse),
 *                  in place of the caller; without trpc-handler.ts's options (maxBatchSize, allowMethodOverride,
 *                  responseMeta, onError: none does work on a successful single GET but responseMeta's empty check)
 *   hono           + a Hono app that only routes /trpc/* to it (as app.ts builds it, no middleware)
 *   access-log     + the request id and the access line with its metrics (app.ts's first middlewares)
 *   headers        + secure headers and the CORS policy (the rest of app.ts's middlewares; the guards are not here)
 * Alternatives to the HTTP stack, each the `hono` rung (or `fetch-adapter`, for the last) with one part swapped:
 *   hono-native    `hono` with node-server's overrideGlobalObjects off: the Response tRPC builds is undici's (the
 *                  request is still node-server's lazy one)
 *   hono-srvx      `hono` served by srvx's Node handler (toNodeHandler: a lazy request) on node:http, undici's
 *                  Response as tRPC builds it
 *   hono-srvx-fast `hono-srvx` with srvx's FastResponse as the global Response, so tRPC's answer is srvx's own
 *   trpc-node-http tRPC's node:http adapter (createHTTPHandler) in place of node-server + its fetch adapter
 */
import http from "node:http";
import { serve } from "@hono/node-server";
import { appRouter, createCaller, createContext, type Principal } from "@memory-mirror/api";
import { createDb, queryDriver } from "@memory-mirror/db";
import { openPostgres } from "@memory-mirror/db/bench";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { Hono } from "hono";
import { RegExpRouter } from "hono/router/reg-exp-router";
import pg from "pg";
import { FastResponse, toNodeHandler } from "srvx/node";
import { LOOKUP, storedRowsOf, toAnalysis } from "@memory-mirror/api/bench";
import { requestMiddleware } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";
import type { AppEnv } from "../src/request-variables.ts";
import { SPACE } from "./seed.ts";

export const LAYERS = [
  "statement",
  "pool",
  "adapter",
  "decode",
  "caller",
  "node-server",
  "fetch-adapter",
  "hono",
  "access-log",
  "headers",
  "hono-native",
  "hono-srvx",
  "hono-srvx-fast",
  "trpc-node-http",
] as const;
export type Layer = (typeof LAYERS)[number];

const isLayer = (name: string | undefined): name is Layer => (LAYERS as readonly (string | undefined)[]).includes(name);
const layer = process.env.LAYER;
if (!isLayer(layer)) throw new Error(`LAYER=${layer ?? ""}: expected one of ${LAYERS.join(", ")}`);
const config = loadConfig();
const port = config.port;
/** The caller every request of the tRPC rungs acts as: a key of the bench space allowed to read. */
const principal: Principal = { keyId: "layers", name: "layers", space: SPACE, scopes: ["read"] };
const ENDPOINT = "/trpc";

function send(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
}
/** node:http around a handler that answers a status and a JSON text (500 with the error otherwise). */
function listen(handle: (url: string) => Promise<[number, string]>) {
  http
    .createServer((req, res) => {
      handle(req.url ?? "/").then(
        ([status, body]) => send(res, status, body),
        (error: unknown) => send(res, 500, JSON.stringify({ detail: String(error) })),
      );
    })
    .listen(port, "127.0.0.1");
}
const videoIdOfPath = (url: string) => decodeURIComponent(url.slice("/v/".length));
/** The `input` of a tRPC GET, as the fetch adapter reads it. */
const inputOf = (url: string): { videoId: string } =>
  JSON.parse(new URL(url, "http://localhost").searchParams.get("input") ?? "null") as { videoId: string };

const found = (row: unknown): [number, string] => (row ? [200, JSON.stringify(row)] : [404, '{"detail":"Not Found"}']);

if (layer === "statement" || layer === "pool") {
  const { database } = config;
  if (database.kind !== "postgres") throw new Error(`LAYER=${layer} needs a PostgreSQL DATABASE_URL`);
  const pool =
    layer === "pool"
      ? openPostgres(database).pool
      : new pg.Pool({ connectionString: database.url, max: database.poolSize });
  // As the adapter asks (rows as arrays) on the service's pool; as a person would on the plain one.
  const ask = (values: unknown[]): Promise<{ rows: unknown[] }> =>
    layer === "pool" ? pool.query({ text: LOOKUP, values, rowMode: "array" }) : pool.query(LOOKUP, values);
  listen(async (url) => {
    const { rows } = await ask([SPACE, [videoIdOfPath(url)]]);
    return found(rows[0]);
  });
} else {
  const db = await createDb(config.database);
  // What guards.ts builds for every request, without HTTP: fresh lookups and budget each time.
  const context = () =>
    createContext({
      prisma: db.prisma,
      reads: db.reads,
      principal,
      space: SPACE,
      limits: { maxRows: config.maxResponseRows, maxBytes: config.maxResponseBytes },
      historyLimit: config.historyLimit,
    });
  const call = async (url: string) => ({
    result: { data: await createCaller(context()).videoAnalysis.byVideoId(inputOf(url)) },
  });
  const trpc = (req: Request) =>
    fetchRequestHandler({ endpoint: ENDPOINT, req, router: appRouter, createContext: context });
  const lookup = (url: string) => queryDriver(db.prisma, LOOKUP, [SPACE, [videoIdOfPath(url)]]);
  if (layer === "adapter") {
    listen(async (url) => found((await lookup(url)).rows[0]));
  } else if (layer === "decode") {
    listen(async (url) => {
      const [row] = storedRowsOf(await lookup(url));
      return found(row && toAnalysis(row));
    });
  } else if (layer === "caller") {
    listen(async (url) => [200, JSON.stringify(await call(url))]);
  } else if (layer === "node-server") {
    serve({ fetch: async (req) => Response.json(await call(req.url)), port, hostname: "127.0.0.1" });
  } else if (layer === "fetch-adapter") {
    serve({ fetch: trpc, port, hostname: "127.0.0.1" });
  } else if (layer === "trpc-node-http") {
    const handler = createHTTPHandler({ basePath: `${ENDPOINT}/`, router: appRouter, createContext: context });
    http.createServer(handler).listen(port, "127.0.0.1");
  } else {
    const app = new Hono<AppEnv>({ strict: false, router: new RegExpRouter() });
    // app.ts's own list: access-log takes its first two (request id, access line), headers all of them.
    const middleware = requestMiddleware(new Metrics(db), createLogger(config.logLevel), config.corsOrigins);
    if (layer === "access-log" || layer === "headers")
      app.use(...middleware.slice(0, layer === "access-log" ? 2 : middleware.length));
    app.all(`${ENDPOINT}/*`, (c) => trpc(c.req.raw));
    if (layer === "hono-srvx" || layer === "hono-srvx-fast") {
      // As @hono/node-server does with its own (overrideGlobalObjects), so the Response tRPC builds is the fast one.
      if (layer === "hono-srvx-fast") Object.defineProperty(globalThis, "Response", { value: FastResponse });
      // srvx types its handler for node:http and http2 at once; this server is node:http's.
      const handler = toNodeHandler((request) => app.fetch(request)) as http.RequestListener;
      http.createServer(handler).listen(port, "127.0.0.1");
    } else {
      serve({ fetch: app.fetch, port, hostname: "127.0.0.1", overrideGlobalObjects: layer !== "hono-native" });
    }
  }
}
