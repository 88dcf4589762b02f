/**
 * Node's answer writes the secure headers and X-Request-Id (answer-headers.ts) instead of the app setting them on the
 * web Response's undici `Headers`: the bytes on the wire must be those of the old way, for every kind of answer.
 */
import type { AddressInfo } from "node:net";
import net from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnswerWithHeaders, mergeInOrder } from "../src/answer-headers.ts";
import type { AppEnv } from "../src/request-variables.ts";
import { requestIds } from "../src/request-id.ts";
import { corsPolicy, securityHeaders } from "../src/security.ts";

/** The answers' kinds: tRPC's (a Response with `Headers`), Hono's (plain headers), empty, streamed, overriding. */
function app(seen: { onResponse: boolean[] }) {
  return new Hono<AppEnv>()
    .use(async (c, next) => {
      await next();
      seen.onResponse.push(c.res.headers.has("content-security-policy") || c.res.headers.has("x-request-id"));
    })
    .use(requestIds, securityHeaders, corsPolicy(["https://allowed.example"]))
    .get(
      "/trpc",
      () =>
        new Response('{"result":1}', {
          headers: new Headers({ "content-type": "application/json", vary: "trpc-accept" }),
        }),
    )
    .get("/json", (c) => c.json({ detail: "Not Found" }, 404))
    .get("/text", (c) => c.text("plain"))
    .get("/empty", (c) => c.body(null, 204))
    .get("/framed", (c) => c.html("<p>", 200, { "X-Frame-Options": "SAMEORIGIN", "Cache-Control": "no-store" }))
    .get("/stream", (c) =>
      stream(c, async (s) => {
        await s.write("a");
      }),
    )
    .get("/bytes", () => new Response(new Uint8Array([1, 2]), { headers: { "Content-Length": "2", Etag: '"x"' } }));
}

function rawHead(port: number, path: string, headers: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`,
      ),
    );
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("end", () =>
      resolve(text.replace(/^Date: .*$/m, "Date: -").replace(/^x-request-id: [0-9a-f-]{36}$/m, "x-request-id: -")),
    );
  });
}

describe("the answer's headers, written by node's answer", () => {
  const before = { onResponse: [] as boolean[] };
  const after = { onResponse: [] as boolean[] };
  let old: ServerType;
  let now: ServerType;
  const port = (server: ServerType) => (server.address() as AddressInfo).port;
  beforeAll(async () => {
    const listening = (server: ServerType) => new Promise((resolve) => server.once("listening", resolve));
    old = serve({ fetch: app(before).fetch, port: 0, hostname: "127.0.0.1" });
    now = serve({
      fetch: app(after).fetch,
      port: 0,
      hostname: "127.0.0.1",
      serverOptions: { ServerResponse: AnswerWithHeaders },
    });
    await Promise.all([listening(old), listening(now)]);
  });
  afterAll(() => {
    old.close();
    now.close();
  });

  it("are the bytes the web Response's headers gave, for every kind of answer", async () => {
    const cases: [string, string[]?][] = [
      ["/trpc"],
      ["/json"],
      ["/text"],
      ["/empty"],
      ["/framed"],
      ["/stream"],
      ["/bytes"],
      ["/nowhere"],
      ["/trpc", ["Origin: https://allowed.example"]],
    ];
    for (const [path, headers] of cases) {
      const expected = await rawHead(port(old), path, headers);
      expect(expected, path).toContain("x-frame-options: ");
      expect(await rawHead(port(now), path, headers), path).toBe(expected);
    }
  });

  it("are no longer set on the web Response (13 undici Headers.set per answer)", () => {
    expect(before.onResponse.length).toBeGreaterThan(0);
    expect(before.onResponse.every(Boolean)).toBe(true);
    expect(after.onResponse.length).toBeGreaterThan(0);
    expect(after.onResponse.some(Boolean)).toBe(false);
  });
});

describe("mergeInOrder", () => {
  const added = [
    ["b-added", "1"],
    ["x-added", "2"],
  ] as const;

  it("puts the added names in the leading run of lower-case names in order, and what follows it after them", () => {
    const merged = mergeInOrder({ a: "0", c: "3", "Content-Length": 5 }, added);
    expect(Object.entries(merged)).toEqual([
      ["a", "0"],
      ["b-added", "1"],
      ["c", "3"],
      ["x-added", "2"],
      ["Content-Length", 5],
    ]);
    expect(Object.keys(mergeInOrder({ z: "1", "content-type": "text/plain" }, added))).toEqual([
      "b-added",
      "x-added",
      "z",
      "content-type",
    ]);
  });

  it("replaces a name the answer had with the added value, and adds them all to no headers", () => {
    expect(mergeInOrder({ "x-added": "old", "b-added": "old" }, added)).toEqual({ "b-added": "1", "x-added": "2" });
    expect(Object.entries(mergeInOrder(undefined, added))).toEqual(added.map(([name, value]) => [name, value]));
  });
});
