/**
 * MCP over Streamable HTTP at /mcp, stateless: every POST gets a new MCP server and transport, so any replica can
 * answer any request and nothing outlives it. The tools are @memory-mirror/mcp's, calling the procedures in
 * process through createCaller (as the REST API does).
 */
import { createCaller, createContext } from "@memory-mirror/api";
import type { PrismaClient } from "@memory-mirror/db";
import { createMcpServer } from "@memory-mirror/mcp";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import type { AppEnv } from "./app-env.ts";
import type { Logger } from "./logger.ts";

export const MCP_PATH = "/mcp";

export interface McpRouteDeps {
  prisma: PrismaClient;
  logger: Logger;
  /** MAX_BODY_BYTES: the transport answers 413 beyond it. */
  maxBodyBytes: number;
}

export function createMcpRoute({ prisma, logger, maxBodyBytes }: McpRouteDeps): Hono<AppEnv> {
  const api = createCaller(createContext({ prisma }));
  const app = new Hono<AppEnv>();

  app.all(MCP_PATH, async (c) => {
    // Without sessions there is no stream to open (GET) or session to end (DELETE): the spec's answer is 405.
    if (c.req.method !== "POST") {
      const error = { code: -32000, message: "Method not allowed: this MCP endpoint is stateless, use POST" };
      return c.json({ jsonrpc: "2.0", error, id: null }, 405, { Allow: "POST" });
    }
    const server = createMcpServer(api, {
      onInternalError: (error, tool) => logger.error({ err: error, tool, reqId: c.var.requestId }, "MCP tool failed"),
    });
    // JSON answers rather than an SSE stream: the tools send no progress or server requests worth streaming.
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: maxBodyBytes,
    });
    await server.connect(transport);
    try {
      // Resolves once every answer is in the JSON body, so closing afterwards cuts nothing short.
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
  return app;
}
