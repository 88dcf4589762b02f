/**
 * Property: nothing a client sends is a 500 or takes the server down. Over the real HTTP server on both databases,
 * every tRPC procedure (walked from the router's record: queries by GET and in a POST batch, mutations by POST),
 * every REST operation in the OpenAPI document the server serves, and every MCP tool (through the SDK's client) gets
 * fast-check inputs made from its own schema: fields at and just past their documented bounds, of the wrong type,
 * missing or joined by undeclared keys, awkward text (empty, NUL, lone surrogates, RTL, emoji), arbitrary JSON and
 * nesting far past any declared depth. Each answer is below 500, a refusal is JSON with a message a person reads,
 * and /readyz still answers. Seeded and counted in runs, so a failure replays and the cost does not depend on the
 * machine's speed. The 500s this found are named regression tests in hostile-inputs.test.ts.
 */
import { appRouter } from "@memory-mirror/api";
import { testTargets } from "@memory-mirror/db/testing";
import { type Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { AnyProcedure } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";
import { hostileFor, hostileInput, jsonText, type JsonSchema } from "./support/schema-inputs.ts";

const targets = await testTargets();

/** Runs per procedure, REST operation and tool: about 60 ms of a loaded machine's time each. */
const RUNS = 8;
const SEED = 20261206;
/**
 * Each test loops over every procedure, operation or tool, RUNS times each: about 18 s per database at load 20, too
 * near the shared 30 s limit. Given several times that, so a busy machine never fails them.
 */
const LOOP_TIMEOUT_MS = 120_000;

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>).map(
  ([path, p]) => {
    const [input] = p._def.inputs as z.ZodType[];
    const schema = input ? (z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as JsonSchema) : undefined;
    return { path, type: p._def.type, schema };
  },
);

interface Answer {
  status: number;
  contentType: string;
  body: unknown;
}

/**
 * The answer's status and, when it is JSON, its body. A stream that opened (a subscription that accepted its input)
 * is cut at its head: the status is what this property is about.
 */
async function send(url: string, init: RequestInit): Promise<Answer> {
  const abort = new AbortController();
  const response = await fetch(url, { ...init, signal: abort.signal });
  const contentType = response.headers.get("content-type") ?? "";
  if (contentType.startsWith("text/event-stream")) {
    abort.abort();
    return { status: response.status, contentType, body: undefined };
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the assertion below names the status and text.
  }
  return { status: response.status, contentType, body };
}

/** The human message of a refusal in the transport's shape (tRPC's envelope, FastAPI's detail, JSON-RPC's error). */
function messagesOf(body: unknown): string[] {
  if (Array.isArray(body)) return body.flatMap(messagesOf);
  if (typeof body !== "object" || body === null) return [];
  const b = body as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  if (b.error && typeof b.error === "object") return [text((b.error as { message?: unknown }).message)];
  if (typeof b.detail === "string") return [b.detail];
  if (Array.isArray(b.detail)) return b.detail.map((d) => text((d as { msg?: unknown }).msg));
  return [];
}

function expectUnderstood(what: string, answer: Answer) {
  const { status, body } = answer;
  expect(status, `${what}: ${JSON.stringify(body)?.slice(0, 300)}`).toBeLessThan(500);
  if (status < 400 || answer.contentType.startsWith("text/event-stream")) return;
  const messages = messagesOf(body);
  expect(messages.length, `${what} ${status}: ${String(JSON.stringify(body)).slice(0, 300)}`).toBeGreaterThan(0);
  for (const message of messages) {
    // A sentence of words, not a code or an empty string; never the catch-all of an unexpected failure.
    expect(message, `${what} ${status}`).toMatch(/[a-z]{2,}.*\s.*[a-z]{2,}/i);
    expect(message, `${what} ${status}`).not.toMatch(/internal server error/i);
  }
}

/** Percent-encodes text, lone surrogates as the ill-formed UTF-8 a careless client would send. */
const encode = (text: string) =>
  text.replace(/[^]/gu, (c) => (c.length === 1 && /[\ud800-\udfff]/.test(c) ? "%ED%A0%80" : encodeURIComponent(c)));
/** A query or path parameter's text: strings as they are, anything else as JSON. */
const paramText = (value: unknown) => (typeof value === "string" ? value : jsonText(value));
/** Header values are bytes 0x20–0x7E here; anything else fetch itself refuses to send. */
const headerSafe = (value: string) => /^[\x20-\x7e]*$/.test(value);

for (const target of targets) {
  describe.skipIf(!!target.skip)(`any input on the ${target.name} database`, { timeout: LOOP_TIMEOUT_MS }, () => {
    let server: TestServer;
    let headers: Record<string, string>;
    let mcp: Client;
    const ready = async () => expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    beforeAll(async () => {
      // Keys required and an admin key: every procedure runs its own checks (keys.* included), not just auth's.
      server = await startTestServer(target.name, { auth: "required" });
      const key = await server.createKey({ name: "fuzzer", space: "*", scopes: ["read", "write", "admin"] });
      headers = { authorization: `Bearer ${key}`, "x-mm-space": "fuzz" };
      const seed = await send(`${server.url}/trpc/videoAnalysis.create`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ videoId: "seed", description: "A walk by the sea.", tags: ["sea"] }),
      });
      expect(seed.status).toBe(200);
      mcp = await connectMcp(server.url, headers);
    });
    afterAll(async () => {
      await mcp?.close();
      await server?.close();
    });

    it("no tRPC procedure answers any input with a 500, by GET, POST or in a batch", async () => {
      for (const [i, { path, type, schema }] of procedures.entries()) {
        await fc.assert(
          fc.asyncProperty(hostileInput(schema), fc.boolean(), async (input, batched) => {
            const text = jsonText(input);
            const url = `${server.url}/trpc/${path}`;
            let answer: Answer;
            if (type === "mutation") {
              answer = batched
                ? await send(`${url}?batch=1`, {
                    method: "POST",
                    headers: { ...headers, "content-type": "application/json" },
                    body: `{"0":${text}}`,
                  })
                : await send(url, {
                    method: "POST",
                    headers: { ...headers, "content-type": "application/json" },
                    body: text,
                  });
            } else if (batched) {
              // Queries batched by POST: the client's methodOverride for long inputs.
              answer = await send(`${url},${path}?batch=1`, {
                method: "POST",
                headers: { ...headers, "content-type": "application/json" },
                body: `{"0":${text},"1":{}}`,
              });
            } else {
              answer = await send(`${url}?input=${encode(text)}`, { headers });
            }
            expectUnderstood(`${type} ${path} ${batched ? "batched " : ""}${text.slice(0, 200)}`, answer);
            await ready();
          }),
          { numRuns: RUNS, seed: SEED + i, endOnFailure: true },
        );
      }
    });

    it("no REST operation of the OpenAPI document answers any input with a 500", async () => {
      const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, Operation>>;
        components: { schemas: Record<string, JsonSchema> };
      };
      interface Operation {
        parameters?: { in: "path" | "query" | "header"; name: string; schema: JsonSchema }[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
      }
      const resolve = (ref: string) => document.components.schemas[ref.replace("#/components/schemas/", "")] ?? {};
      const operations = Object.entries(document.paths)
        .filter(([path]) => !path.startsWith("/trpc/"))
        .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
      expect(operations.length).toBeGreaterThan(10);
      for (const [i, { path, method, op }] of operations.entries()) {
        const parameters = op.parameters ?? [];
        const values = fc.tuple(...parameters.map((p) => fc.option(hostileFor(p.schema, resolve), { nil: undefined })));
        const bodySchema = op.requestBody?.content["application/json"]?.schema;
        const body = bodySchema ? hostileInput(bodySchema, resolve) : fc.constant(undefined);
        await fc.assert(
          fc.asyncProperty(values, body, async (args, input) => {
            let url = path;
            const sent: Record<string, string> = { ...headers };
            let raw = "";
            parameters.forEach((p, n) => {
              const value = args[n];
              if (p.in === "path") {
                // A path parameter is always there (else it is another route): empty when none was drawn.
                url = url.replace(`{${p.name}}`, encode(paramText(value ?? "")));
              } else if (value === undefined) {
                return;
              } else if (p.in === "query") {
                for (const v of Array.isArray(value) ? value : [value]) raw += `&${p.name}=${encode(paramText(v))}`;
              } else if (headerSafe(paramText(value))) {
                sent[p.name] = paramText(value);
              }
            });
            if (input !== undefined) sent["content-type"] = "application/json";
            const target = `${server.url}${url}${raw ? `?${raw.slice(1)}` : ""}`;
            const answer = await send(target, {
              method: method.toUpperCase(),
              headers: sent,
              body: input === undefined ? undefined : jsonText(input),
            });
            expectUnderstood(
              `${method.toUpperCase()} ${target.slice(0, 200)} ${input === undefined ? "" : jsonText(input).slice(0, 200)}`,
              answer,
            );
            await ready();
          }),
          { numRuns: RUNS, seed: SEED + 100 + i, endOnFailure: true },
        );
      }
    });

    it("no MCP tool answers any arguments but with a result or its own refusal, through the SDK's client", async () => {
      const { tools } = await mcp.listTools();
      expect(tools.length).toBeGreaterThan(3);
      for (const [i, tool] of tools.entries()) {
        const args = fc.oneof(
          { arbitrary: hostileFor(tool.inputSchema as JsonSchema), weight: 6 },
          { arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 })), weight: 1 },
        );
        await fc.assert(
          fc.asyncProperty(args, async (input) => {
            const what = `${tool.name} ${JSON.stringify(input)?.slice(0, 300)}`;
            // The SDK's client sends any value as arguments; a non-object is the server's to refuse.
            const call = mcp.callTool({ name: tool.name, arguments: input as Record<string, unknown> });
            const result = await call.catch((error: unknown) => {
              // Refused over HTTP before JSON-RPC (a body past MAX_BODY_BYTES): a 4xx whose body the message quotes.
              if (error instanceof StreamableHTTPError) {
                expect(error.code, `${what}: ${error.message}`).toBeGreaterThanOrEqual(400);
                expect(error.code, `${what}: ${error.message}`).toBeLessThan(500);
              } else if (error instanceof McpError) {
                // The server's one JSON-RPC refusal of a call: its params (mcp-params.ts). The SDK's client throws
                // McpErrors of its own (a timeout, a result failing its outputSchema) that must fail this property.
                expect({ code: error.code, message: error.message }, what).toMatchObject({
                  code: ErrorCode.InvalidParams,
                  message: expect.stringContaining("Invalid params for tools/call: ") as unknown,
                });
              } else {
                throw error;
              }
              expect(error.message, what).toMatch(/[a-z]{2,}.*\s.*[a-z]{2,}/i);
              return undefined;
            });
            if (result?.isError) {
              const text = (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("");
              expect(text, what).toMatch(/[a-z]{2,}.*\s.*[a-z]{2,}/i);
              // The SDK's server turns a result failing the tool's outputSchema into an error result: a server bug.
              expect(text, what).not.toMatch(/internal server error|unexpected error|output validation error/i);
            }
            await ready();
          }),
          { numRuns: RUNS, seed: SEED + 200 + i, endOnFailure: true },
        );
      }
    });
  });
}
