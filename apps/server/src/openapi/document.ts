/**
 * GET /openapi.json: one OpenAPI 3.1 document for both APIs, generated from the zod schemas the code validates with.
 * The REST routes come from @hono/zod-openapi's registry; the tRPC procedures from the router itself, described in
 * tRPC's own HTTP wire format.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../request-variables.ts";
import { REST_PREFIX, REST_TAG } from "../rest/video-analysis/routes.ts";
import { type JsonObject, toSchema } from "./json-schema.ts";
import { listProcedures, type ProcedureInfo } from "./procedures.ts";

type Document = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
type PathItem = NonNullable<Document["paths"]>[string];
type ErrorCode = TRPCError["code"];

const TRPC_TAG = "tRPC";

/** Codes any procedure can answer; each procedure's meta names its own. */
const commonErrors: ErrorCode[] = [
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "PAYLOAD_TOO_LARGE",
  "TOO_MANY_REQUESTS",
  "INTERNAL_SERVER_ERROR",
  "SERVICE_UNAVAILABLE",
];

/** tRPC's error envelope as this server's errorFormatter shapes it (packages/api/src/trpc.ts). */
const trpcErrorResponse = z
  .object({
    error: z.object({
      message: z.string(),
      code: z.number().int().meta({ description: "JSON-RPC 2.0 error code, e.g. -32004 for NOT_FOUND." }),
      data: z.object({
        code: z.string().meta({ description: "tRPC error code", example: "NOT_FOUND" }),
        httpStatus: z.number().int(),
        path: z.string().optional(),
        issues: z
          .array(z.object({ path: z.string(), message: z.string() }))
          .nullable()
          .meta({ description: "The invalid input fields of a BAD_REQUEST; null otherwise." }),
      }),
    }),
  })
  .meta({ id: "TRPCErrorResponse" });

function procedurePathItem(p: ProcedureInfo, components: JsonObject): PathItem {
  const inputSchema = p.input ? toSchema(p.input, "input", components) : undefined;
  // An input that accepts undefined (e.g. list's defaults) may be left out of the request.
  const inputRequired = p.input ? !p.input.safeParse(undefined).success : false;
  const data = p.output ? toSchema(p.output, "output", components) : {};
  const events = p.meta?.events ? toSchema(p.meta.events, "output", components) : {};
  const errors = [...(p.meta?.errors ?? []), ...commonErrors];
  const responses: JsonObject = {
    200:
      p.type === "subscription"
        ? {
            description:
              "Server-sent events. `event: connected` first; then each event's `data:` is one JSON event as below with " +
              "its `id:`; `event: ping` keeps the stream alive; `event: serialized-error` carries a tRPC error.",
            content: { "text/event-stream": { schema: events } },
          }
        : {
            description: "Success: the procedure's output in `result.data`",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["result"],
                  properties: { result: { type: "object", required: ["data"], properties: { data } } },
                },
              },
            },
          },
  };
  for (const code of errors) {
    const status = getHTTPStatusCodeFromError(new TRPCError({ code }));
    responses[status] = {
      description: `${code}`,
      content: { "application/json": { schema: { $ref: "#/components/schemas/TRPCErrorResponse" } } },
    };
  }
  const operation: JsonObject = {
    tags: [TRPC_TAG],
    operationId: `trpc.${p.name}`,
    summary: p.meta?.summary ?? `${p.type} ${p.name}`,
    responses,
  };
  if (p.type === "query" || p.type === "subscription") {
    operation.description =
      p.type === "query"
        ? "A tRPC query: `GET /trpc/<name>?input=<URL-encoded JSON>`. Several queries can share one request: " +
          '`GET /trpc/a,b?batch=1&input={"0":…,"1":…}` (answers an array, status 207 when results differ).'
        : "A tRPC subscription over server-sent events: `GET /trpc/<name>?input=<URL-encoded JSON>` (never batched). " +
          "Reconnect with the `Last-Event-ID` header (or `lastEventId` in the input) to resume after the last event. " +
          "Browsers' EventSource, which sends no Authorization header, adds `&token=` with a stream token " +
          "(`POST /api/changes/token`).";
    if (inputSchema) {
      operation.parameters = [
        {
          name: "input",
          in: "query",
          required: inputRequired,
          description: "The procedure's input, serialized as JSON (tRPC's wire format, no transformer).",
          content: { "application/json": { schema: inputSchema } },
        },
      ];
    }
    return { get: operation };
  }
  operation.description =
    "A tRPC mutation: `POST /trpc/<name>` with the input as the JSON body. Batches: " +
    '`POST /trpc/a,b?batch=1` with `{"0":…,"1":…}`.';
  if (inputSchema) {
    operation.requestBody = { required: inputRequired, content: { "application/json": { schema: inputSchema } } };
  }
  return { post: operation };
}

export function buildOpenApiDocument(rest: OpenAPIHono<AppEnv>): Document {
  const document = rest.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Memory Mirror",
      version: "1.0.0",
      description:
        "The memory of an AI clone: one AI-written analysis per video (description, tags, the producer's embedding), " +
        "in one space per person.\n\n" +
        `- **REST** under \`${REST_PREFIX}/\`: the original service's API (snake_case, FastAPI-style errors), with ` +
        "cursor paging, tags, ETag/If-Match and history added; bulk writes under `/api/bulk/`, retrieval at " +
        "`/api/search`, `/api/context` and `/api/tags`.\n" +
        "- **tRPC** under `/trpc/`: every operation, for TypeScript clients (`@memory-mirror/client`) and any HTTP client.\n" +
        "- **MCP** at `/mcp` (not described here): the same operations as tools for LLM applications.\n\n" +
        "Calls need `Authorization: Bearer mm_…` when the server requires keys (AUTH=required). " +
        'Any call may answer 503 (REST `{"detail": …}`, tRPC `SERVICE_UNAVAILABLE`) while the database is ' +
        "unreachable; retry later.",
      // As every package.json says: the repository has no LICENSE file and grants no license (npm's UNLICENSED),
      // which is stated rather than left out so a reader of the API does not assume one.
      license: { name: "UNLICENSED" },
    },
    // Relative: the document describes the server that serves it, wherever that is deployed.
    servers: [{ url: "/", description: "The server serving this document" }],
    tags: [
      { name: REST_TAG, description: "Contract-compatible with the first (Python) Memory Mirror." },
      { name: TRPC_TAG, description: "tRPC 11 procedures in their HTTP wire format (no data transformer)." },
    ],
  });
  const schemas = (document.components ??= {}).schemas ?? {};
  const components = schemas as JsonObject;
  toSchema(trpcErrorResponse, "output", components);
  const paths = (document.paths ??= {});
  for (const procedure of listProcedures()) {
    paths[`/trpc/${procedure.name}`] = procedurePathItem(procedure, components);
  }
  document.components.schemas = schemas;
  // Keys are needed only when the server runs with AUTH=required: both "with a key" and "without" are valid.
  document.components.securitySchemes = {
    apiKey: { type: "http", scheme: "bearer", description: "An API key, `mm_…` (pnpm keys:create, mm keys create)." },
  };
  document.security = [{ apiKey: [] }, {}];
  return document;
}

/** Serves the document, built once: routes and schemas do not change while the process runs. */
export function createOpenApiRoute(rest: OpenAPIHono<AppEnv>): Hono<AppEnv> {
  let document: Document | undefined;
  return new Hono<AppEnv>().get("/openapi.json", (c) => c.json((document ??= buildOpenApiDocument(rest))));
}
