/**
 * Regression tests for "every 4xx message is written for a person": no JavaScript error text (`x.getTime is not a
 * function`) and no parser jargon (`Invalid input: expected array, received string`) reaches a client, whatever
 * shape of input any procedure is sent.
 */
import { appRouter } from "@memory-mirror/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const procedureType = (path: string) =>
  (appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)[path]?._def.type;

const JARGON = /is not a function|Cannot read|undefined|Invalid input|expected \w+, received|\[object /;

describe("4xx messages (embedded, AUTH=required, admin key)", () => {
  let server: TestServer;
  let headers: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer("embedded", { auth: "required" });
    const admin = await server.createKey({ name: "admin", space: "*", scopes: ["read", "write", "admin"] });
    headers = { authorization: `Bearer ${admin}`, "content-type": "application/json" };
  });
  afterAll(() => server?.close());

  const call = async (path: string, input: unknown) => {
    const type = procedureType(path);
    const response =
      type === "query"
        ? await fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
        : await fetch(`${server.url}/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(input) });
    const body = (await response.json()) as { error?: { message: string } };
    return { status: response.status, message: body.error?.message };
  };

  it("keys.create with a far-future expiresAt says what expiresAt must be", async () => {
    const answer = await call("keys.create", {
      name: "far",
      space: "alice",
      scopes: ["read"],
      expiresAt: "99999-01-01T00:00:00Z",
    });
    expect(answer).toEqual({
      status: 400,
      message: "expiresAt must be an ISO-8601 date-time, e.g. 2027-01-01T00:00:00Z",
    });
    expect(await call("keys.create", { name: "s", space: "alice", scopes: "read" })).toEqual({
      status: 400,
      message: "scopes: must be a list, not a string",
    });
  });

  it("answers every procedure's wrongly shaped input in words, never a JavaScript error", async () => {
    const shapes: unknown[] = [5, "text", null, [], {}, { items: [5, null] }, { videoId: 5, description: [] }];
    const unclear: string[] = [];
    for (const path of Object.keys(appRouter._def.procedures)) {
      // Subscriptions answer a stream (SSE), with their own errors in it.
      if (procedureType(path) === "subscription") continue;
      for (const input of shapes) {
        const { status, message } = await call(path, input);
        if (status >= 500 || (status >= 400 && JARGON.test(message ?? "")))
          unclear.push(`${path} ${JSON.stringify(input)} → ${status} ${message}`);
      }
    }
    expect(unclear).toEqual([]);
  });
});
