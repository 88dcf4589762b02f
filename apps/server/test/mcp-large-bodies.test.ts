/**
 * Regression tests for MCP calls with large bodies, through the MCP SDK's own client and the server's default
 * MAX_BODY_BYTES. A body over the limit is answered 413 from its Content-Length, before it arrives: its unread rest
 * stayed on the kept-alive connection, which was cut 500 ms later, so the next call on it (of any size: the defect
 * was seen with 50 KB to 900 KB calls) got the connection closed with no answer (unread-bodies.ts).
 */
import http from "node:http";
import { DEFAULT_MAX_BODY_BYTES, DESCRIPTION_MAX_LENGTH } from "@memory-mirror/api";
import { testTargets } from "@memory-mirror/db/testing";
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const targets = await testTargets();
const TOO_LONG = `description must be at most ${DESCRIPTION_MAX_LENGTH} characters`;
const TOO_LARGE = `Request body is larger than ${DEFAULT_MAX_BODY_BYTES} bytes (MAX_BODY_BYTES)`;

for (const target of targets) {
  describe.skipIf(!!target.skip)(`MCP calls with large bodies on the ${target.name} database`, () => {
    let server: TestServer;
    let client: Client;
    beforeAll(async () => {
      server = await startTestServer(target.name);
      client = await connectMcp(server.url);
    });
    afterAll(async () => {
      await client?.close();
      await server?.close();
    });

    async function create(videoId: string, description: string) {
      const result = await client.callTool({ name: "create_video_analysis", arguments: { videoId, description } });
      const [content] = result.content as { type: string; text: string }[];
      return { isError: result.isError === true, text: content?.text ?? "" };
    }

    /** A tools/call as raw JSON-RPC over one kept-alive connection, so each call follows the last on it. */
    function postOn(agent: http.Agent, description: string) {
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "create_video_analysis", arguments: { videoId: `raw-${description.length}`, description } },
      });
      return new Promise<{ status: number; text: string }>((resolve, reject) => {
        const headers = {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": LATEST_PROTOCOL_VERSION,
        };
        const request = http.request(new URL("/mcp", server.url), { method: "POST", agent, headers }, (response) => {
          let text = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
        });
        request.on("error", reject);
        request.end(body);
      });
    }

    it("a description at its limit is stored, and one character more is a tool error saying so", async () => {
      const atLimit = "é".repeat(DESCRIPTION_MAX_LENGTH);
      expect(await create("at-limit", atLimit)).toMatchObject({
        isError: false,
        text: expect.stringContaining(atLimit) as string,
      });
      const over = await create("over-limit", "a".repeat(DESCRIPTION_MAX_LENGTH + 1));
      expect(over.isError).toBe(true);
      expect(over.text).toContain(TOO_LONG);
    });

    it("bodies from 50 KB to 900 KB, within MAX_BODY_BYTES, each get an answer", async () => {
      for (const length of [50_001, 200_000, 450_000, 900_000]) {
        const answer = await create(`sized-${length}`, "a".repeat(length));
        expect({ length, ...answer, text: answer.text.slice(0, 200) }).toMatchObject({
          length,
          isError: true,
          text: expect.stringContaining(TOO_LONG) as string,
        });
      }
    });

    it("a body over MAX_BODY_BYTES is a 413 naming the limit, and the calls after it on the same client are answered", async () => {
      const refused = await create("too-large", "a".repeat(DEFAULT_MAX_BODY_BYTES + 1)).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(StreamableHTTPError);
      expect(refused).toMatchObject({ code: 413, message: expect.stringContaining(TOO_LARGE) as string });
      // Each of these went on the connection the 413 left with an unread body, and was closed with no answer.
      for (const length of [1000, 60_000, 900_000]) {
        const answer = await create(`after-413-${length}`, "a".repeat(length));
        expect({ length, isError: answer.isError }).toEqual({ length, isError: length > DESCRIPTION_MAX_LENGTH });
      }
    });

    it("after a 413, the same kept-alive connection answers the next call, even after a 20 MB body", async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const size of [2 * DEFAULT_MAX_BODY_BYTES, 20 * 1024 * 1024]) {
          const refused = await postOn(agent, "a".repeat(size));
          expect({ size, status: refused.status }).toEqual({ size, status: 413 });
          expect(JSON.parse(refused.text)).toMatchObject({ jsonrpc: "2.0", error: { message: TOO_LARGE } });
          const next = await postOn(agent, "a".repeat(60_000));
          expect({ size, status: next.status }).toEqual({ size, status: 200 });
          expect(next.text).toContain(TOO_LONG);
        }
      } finally {
        agent.destroy();
      }
    });
  });
}
