/**
 * MCP over Streamable HTTP at /mcp, stateless: every POST gets a new MCP server and transport, so any replica can
 * answer any request and nothing outlives it. The tools are @memory-mirror/mcp's, calling the procedures in
 * process through createCaller with the request's context (its key, space and answer budget).
 */
import { createCaller } from "@memory-mirror/api";
import { Hono } from "hono";
import type { AppEnv } from "./request-variables.ts";
import { admit, type GuardDeps, transportGuards } from "./guards.ts";
import type { Logger } from "./logger.ts";
import { mcpProblem } from "./problems.ts";

export const MCP_PATH = "/mcp";

/**
 * The MCP SDK and the tools load on the first MCP call, not at start: a server nobody calls over MCP (most lookups
 * come over tRPC and REST) keeps about 8 MB of resident memory for other things (measured, embedded server idle).
 */
const loadMcp = (() => {
  const load = () =>
    Promise.all([
      import("@memory-mirror/mcp"),
      import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
      import("./mcp-params.ts"),
    ]);
  let loaded: ReturnType<typeof load> | undefined;
  return () => (loaded ??= load());
})();

export function createMcpRoute(deps: GuardDeps, logger: Logger): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Without sessions there is no stream to open (GET) or session to end (DELETE): the spec's answer is 405.
  app.on(["GET", "DELETE"], MCP_PATH, (c) => {
    const error = { code: -32000, message: "Method not allowed: this MCP endpoint is stateless, use POST" };
    return c.json({ jsonrpc: "2.0", error, id: null }, 405, { Allow: "POST" });
  });
  app.use(MCP_PATH, ...transportGuards(deps, { render: mcpProblem }));
  app.post(MCP_PATH, async (c) => {
    // Each JSON-RPC message is a call, a batch of them included; decoded here once and handed to the transport.
    const parsedBody: unknown = await c.req.json().catch(() => undefined);
    const admission = await admit(deps, c, Array.isArray(parsedBody) ? Math.max(1, parsedBody.length) : 1);
    if (admission.problem) return mcpProblem(c, admission.problem);
    try {
      const [{ createMcpServer }, { WebStandardStreamableHTTPServerTransport }, { answerInvalidParams }] =
        await loadMcp();
      // The connection's signal reaches the tools' procedures as tRPC's `signal`: long reads stop on a hang-up.
      const server = createMcpServer(createCaller(c.var.ctx, { signal: c.req.raw.signal }), {
        onInternalError: (error, tool) => logger.error({ err: error, tool, reqId: c.var.requestId }, "MCP tool failed"),
      });
      // JSON answers rather than an SSE stream: the tools send no progress or server requests worth streaming.
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
        maxRequestBodySize: deps.config.maxBodyBytes,
      });
      await server.connect(transport);
      answerInvalidParams(transport);
      try {
        // Resolves once every answer is in the JSON body, so closing afterwards cuts nothing short.
        return await transport.handleRequest(c.req.raw, { parsedBody });
      } finally {
        await server.close();
      }
    } finally {
      admission.release();
    }
  });
  return app;
}
