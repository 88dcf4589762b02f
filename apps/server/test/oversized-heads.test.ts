/**
 * Regression tests for a request whose URL and headers pass Node's header limit (16 KB): it used to get Node's bare
 * 431 with an empty body. Now a long URL is a 414 and large headers a 431, each with a JSON body in the transport's
 * shape saying what to do (tRPC: send long queries as POST, which the real client then does and succeeds). The
 * connection closes after the answer, and a client still sending a body gets the answer, not a reset.
 */
import http from "node:http";
import net from "node:net";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const LONG = "x".repeat(http.maxHeaderSize + 1024);

describe("a request head over Node's limit", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("embedded");
  });
  afterAll(() => server?.close());

  it("a long tRPC GET is a 414 whose tRPC error says to send it as POST", async () => {
    const input = encodeURIComponent(JSON.stringify({ videoId: "v", pad: LONG }));
    const response = await fetch(`${server.url}/trpc/videoAnalysis.byVideoId?input=${input}`);
    expect(response.status).toBe(414);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("connection")).toBe("close");
    const body = (await response.json()) as { error: { message: string; data: { code: string; httpStatus: number } } };
    expect(body.error.data).toEqual({ code: "BAD_REQUEST", httpStatus: 414 });
    expect(body.error.message).toMatch(/URL is longer than this server accepts \(16 KB/);
    expect(body.error.message).toContain('methodOverride: "POST"');
  });

  it("the real client sends a long query as POST, batched or not, and it is answered", async () => {
    // 200 videoIds of 100 characters: about 21 KB as a URL, well within what byVideoIds takes.
    const query = { videoIds: Array.from({ length: 200 }, (_, i) => `${i}`.padStart(100, "v")) };
    // Unbatched, queries go as GET up to QUERY_URL_MAX_LENGTH and as POST beyond (unbatched-long-queries.test.ts).
    const unbatched = createMemoryMirrorClient({ url: server.url, batch: false });
    expect((await unbatched.videoAnalysis.byVideoIds.query(query)).items).toEqual(
      Array.from({ length: 200 }, () => null),
    );
    // Batched, it sends them as POST (methodOverride), whatever their length.
    const batched = createMemoryMirrorClient({ url: server.url });
    const { items } = await batched.videoAnalysis.byVideoIds.query(query);
    expect(items).toEqual(Array.from({ length: 200 }, () => null));
  });

  it("a long REST query string is a 414 with FastAPI's detail", async () => {
    const response = await fetch(`${server.url}/api/video-analysis/?tags=${LONG}`);
    expect(response.status).toBe(414);
    expect(await response.json()).toEqual({
      detail: expect.stringMatching(/^The request's URL is longer .*Shorten the query string/) as string,
    });
  });

  it("large headers on MCP are a 431 with a JSON-RPC error, even while a body is still being sent", async () => {
    const answer = await rawExchange(
      server.url,
      `POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n` +
        `X-Padding: ${LONG}\r\n\r\n${"{".repeat(200_000)}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { error: { message: string } };
    expect(body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32000 } });
    expect(body.error.message).toMatch(/headers are larger than this server accepts.*send fewer or shorter headers/);
  });

  it("a head that arrives in pieces, its request line not in the last one, is a 431 every client reads", async () => {
    // Node hands over only the piece that passed the limit: from it, neither the path nor the URL's length is known.
    const answer = await rawExchange(server.url, [
      `GET /trpc/videoAnalysis.byVideoId?input=${"x".repeat(8000)}`,
      `${"y".repeat(http.maxHeaderSize)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as {
      detail: string;
      error: { message: string; data: { httpStatus: number } };
    };
    expect(body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600, data: { httpStatus: 431 } } });
    expect(body.detail).toMatch(/URL and headers together are larger than this server accepts \(16 KB\)/);
    expect(body.error.message).toBe(body.detail);
    expect(body.detail).toContain('methodOverride: "POST"');
  });

  it("other malformed requests keep Node's 400", async () => {
    expect(await rawExchange(server.url, "NOT A REQUEST\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});

/**
 * Writes `request` as given (pieces 50 ms apart, so the server reads them apart) and resolves with everything the
 * server answers until it closes the connection.
 */
function rawExchange(url: string, request: string | string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("close", () => resolve(answer));
    socket.on("error", (error) => (answer ? resolve(answer) : reject(error)));
    const pieces = typeof request === "string" ? [request] : request;
    pieces.forEach((piece, i) => setTimeout(() => socket.writable && socket.write(piece), i * 50));
  });
}
