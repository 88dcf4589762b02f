/** GET /metrics after real traffic on every transport: the counters say what happened, in Prometheus' format. */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { connectMcp } from "./support/mcp.ts";

const targets = await testTargets();

/** The value of one sample, e.g. sample(text, 'mm_calls_total{procedure="a",code="OK"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const target of targets) {
  describe.skipIf(!!target.skip)(`GET /metrics on the ${target.name} database`, () => {
    let server: TestServer;
    let text: string;
    beforeAll(async () => {
      server = await startTestServer(target.name, { rateLimitPerMinute: 8 });
      const client = createMemoryMirrorClient({ url: server.url });
      await client.videoAnalysis.create.mutate({ videoId: "m1", description: "measured" });
      const batch = await Promise.all([
        client.videoAnalysis.byVideoId.query({ videoId: "m1" }).then(() => "OK"),
        client.videoAnalysis.byVideoId.query({ videoId: "none" }).catch(errorCode),
      ]);
      expect(batch).toEqual(["OK", "NOT_FOUND"]);
      expect((await fetch(`${server.url}/api/video-analysis/none`)).status).toBe(404);
      const mcp = await connectMcp(server.url);
      await mcp.callTool({ name: "get_video_analysis", arguments: { videoId: "m1" } });
      await mcp.close();
      // The calls so far (1 + 2 + 1 + MCP's initialize, notification and tool call) leave at most one of 8.
      let limited = 0;
      for (let i = 0; i < 8 && limited === 0; i++) {
        if ((await fetch(`${server.url}/api/video-analysis/none`)).status === 429) limited++;
      }
      expect(limited).toBe(1);
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      text = await response.text();
    });
    afterAll(() => server?.close());

    it("counts requests by transport, route pattern and status, with latency histograms", () => {
      expect(sample(text, 'mm_http_requests_total{transport="trpc",method="POST",route="/trpc/*",status="207"}')).toBe(
        1,
      );
      expect(
        sample(
          text,
          'mm_http_requests_total{transport="rest",method="GET",route="/api/video-analysis/:video_id",status="404"}',
        ),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sample(
          text,
          'mm_http_requests_total{transport="rest",method="GET",route="/api/video-analysis/:video_id",status="429"}',
        ),
      ).toBe(1);
      expect(text).toMatch(/^mm_http_requests_total\{transport="mcp",method="POST",route="\/mcp",status="200"\} \d+$/m);
      expect(sample(text, 'mm_http_request_duration_seconds_count{transport="trpc"}')).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/^mm_http_request_duration_seconds_bucket\{le="0\.005",transport="trpc"\} \d+$/m);
      expect(sample(text, "mm_http_requests_in_flight")).toBe(1); // this scrape
      expect(text).not.toContain("m1"); // no ids in labels
    });

    it("counts each call of a batch and each MCP tool call by procedure and result", () => {
      expect(sample(text, 'mm_calls_total{procedure="videoAnalysis.create",code="OK"}')).toBe(1);
      expect(sample(text, 'mm_calls_total{procedure="videoAnalysis.byVideoId",code="OK"}')).toBe(2); // tRPC and MCP
      expect(sample(text, 'mm_calls_total{procedure="videoAnalysis.byVideoId",code="NOT_FOUND"}')).toBe(1);
      expect(sample(text, 'mm_call_duration_seconds_count{procedure="videoAnalysis.byVideoId"}')).toBe(3);
    });

    it("counts rate-limit rejections and reports the process", () => {
      expect(sample(text, 'mm_rate_limited_total{transport="rest"}')).toBe(1);
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    });

    it(
      target.name === "postgres" ? "reports the database pool" : "has no pool to report (one embedded connection)",
      () => {
        if (target.name === "postgres") {
          expect(sample(text, 'mm_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
          expect(sample(text, 'mm_db_pool_connections{state="waiting"}')).toBe(0);
        } else {
          expect(text).not.toMatch(/^mm_db_pool_connections\{/m);
        }
      },
    );
  });
}
