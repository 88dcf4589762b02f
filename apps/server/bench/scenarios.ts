/** What `pnpm bench` measures: each scenario is one kind of HTTP request, repeated under load. */
import { SPACE, videoIdOf } from "./seed.ts";

export interface HttpRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Which hand-written baseline a scenario's rate is compared with. */
export type BaselineName = "single" | "batch" | "list" | "insert";

export interface Scenario {
  name: string;
  /** What one unit of `rate` is. */
  unit: string;
  /** Units answered per HTTP request (a batch of 50 lookups is 50 lookups). */
  perRequest: number;
  /** Concurrent connections, when not the run's default (a few batches already keep the database busy). */
  connections?: number;
  baseline?: BaselineName;
  request(): HttpRequest;
}

export interface ScenarioContext {
  rows: number;
  apiKey: string;
  batch: number;
}

const json = { "content-type": "application/json" };
const enc = (value: unknown) => encodeURIComponent(JSON.stringify(value));

/** The hand-written server's endpoints, as scenarios of their own (baseline-server.ts). */
export function baselineScenarios({ rows, batch }: ScenarioContext): Record<BaselineName, Scenario> {
  const pick = () => videoIdOf(Math.floor(Math.random() * rows));
  let created = 0;
  return {
    single: {
      name: "baseline: one lookup, node:http + pg",
      unit: "lookups/s",
      perRequest: 1,
      request: () => ({ method: "GET", path: `/v/${pick()}` }),
    },
    batch: {
      name: `baseline: batch of ${batch} lookups, one = ANY query`,
      unit: "lookups/s",
      perRequest: batch,
      connections: 8,
      request: () => ({
        method: "GET",
        path: `/batch?ids=${encodeURIComponent(Array.from({ length: batch }, pick).join(","))}`,
      }),
    },
    list: {
      name: "baseline: newest 100, keyset query",
      unit: "requests/s",
      perRequest: 1,
      request: () => ({ method: "GET", path: "/list" }),
    },
    insert: {
      name: "baseline: INSERT one row",
      unit: "writes/s",
      perRequest: 1,
      request: () => ({
        method: "POST",
        path: "/v",
        headers: json,
        body: JSON.stringify({ videoId: `base-${created++}-${Math.random()}`, description: "A new scene." }),
      }),
    },
  };
}

/** Memory Mirror's hot paths, through the real stack (auth on: every request carries the bench key). */
export function serviceScenarios({ rows, apiKey, batch }: ScenarioContext): Scenario[] {
  const auth = { authorization: `Bearer ${apiKey}` };
  const pick = () => videoIdOf(Math.floor(Math.random() * rows));
  let created = 0;
  return [
    {
      name: "tRPC byVideoId, one call per request (GET)",
      unit: "lookups/s",
      perRequest: 1,
      baseline: "single",
      request: () => ({
        method: "GET",
        path: `/trpc/videoAnalysis.byVideoId?input=${enc({ videoId: pick() })}`,
        headers: auth,
      }),
    },
    {
      name: `tRPC byVideoId, batch of ${batch} per request (POST)`,
      unit: "lookups/s",
      perRequest: batch,
      connections: 8,
      baseline: "batch",
      request: () => ({
        method: "POST",
        path: `/trpc/${Array(batch).fill("videoAnalysis.byVideoId").join(",")}?batch=1`,
        headers: { ...auth, ...json },
        body: JSON.stringify(Object.fromEntries(Array.from({ length: batch }, (_, i) => [i, { videoId: pick() }]))),
      }),
    },
    {
      name: "REST GET /api/video-analysis/{id}",
      unit: "lookups/s",
      perRequest: 1,
      baseline: "single",
      request: () => ({ method: "GET", path: `/api/video-analysis/${pick()}`, headers: auth }),
    },
    {
      name: "tRPC list, limit 100",
      unit: "requests/s",
      perRequest: 1,
      baseline: "list",
      request: () => ({ method: "GET", path: `/trpc/videoAnalysis.list?input=${enc({ limit: 100 })}`, headers: auth }),
    },
    {
      name: "tRPC create",
      unit: "writes/s",
      perRequest: 1,
      baseline: "insert",
      request: () => ({
        method: "POST",
        path: "/trpc/videoAnalysis.create",
        headers: { ...auth, ...json },
        body: JSON.stringify({ videoId: `new-${created++}-${Math.random()}`, description: "A new scene." }),
      }),
    },
  ];
}

export { SPACE };
