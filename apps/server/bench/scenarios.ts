/** What `pnpm bench` measures: each scenario is one kind of HTTP request, repeated under load. */
import { BENCH_QUERIES, DIMS, MODEL, SPACE, videoIdOf } from "./seed.ts";

export interface HttpRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Which hand-written baseline a scenario's rate is compared with. */
export type BaselineName = "single" | "batch" | "list" | "insert" | "ingest" | "text" | "vector" | "hybrid";

export interface Scenario {
  name: string;
  /** What one unit of `rate` is. */
  unit: string;
  /** Units answered per HTTP request (a batch of 50 lookups is 50 lookups). */
  perRequest: number;
  /** Concurrent connections, when not the run's default (a few batches already keep the database busy). */
  connections?: number;
  baseline?: BaselineName;
  /** An earlier scenario of the run this one is compared with (its p99 and rate), instead of a baseline server. */
  comparedWith?: string;
  /** Requests sent by another caller for the whole measurement, not measured themselves (only reported). */
  background?: { connections: number; request(): HttpRequest };
  request(): HttpRequest;
}

export interface ScenarioContext {
  rows: number;
  apiKey: string;
  batch: number;
}

const json = { "content-type": "application/json" };
const INGEST_BATCH = 500;
const pickQuery = () => BENCH_QUERIES[Math.floor(Math.random() * BENCH_QUERIES.length)] as string;
const randomVector = () => Array.from({ length: DIMS }, () => Math.random() - 0.5);
/** New videos for an ingest request: unique ids, so every row is written. */
function ingestItems(prefix: string, counter: { n: number }) {
  const start = counter.n;
  counter.n += INGEST_BATCH;
  return Array.from({ length: INGEST_BATCH }, (_, i) => ({
    videoId: `${prefix}-${process.pid}-${start + i}`,
    description: `Ingested scene ${start + i}: a family cooks dinner together and talks about the holiday.`,
  }));
}
const enc = (value: unknown) => encodeURIComponent(JSON.stringify(value));

const baselineSearch = (kind: string, body: { query?: string; embedding?: number[] }): HttpRequest => ({
  method: "POST",
  path: `/search/${kind}`,
  headers: json,
  body: JSON.stringify(body),
});

/** The hand-written server's endpoints, as scenarios of their own (baseline-server.ts). */
export function baselineScenarios({ rows, batch }: ScenarioContext): Record<BaselineName, Scenario> {
  const pick = () => videoIdOf(Math.floor(Math.random() * rows));
  let created = 0;
  const ingested = { n: 0 };
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
    ingest: {
      name: `baseline: INSERT … ON CONFLICT of ${INGEST_BATCH} rows`,
      unit: "rows/s",
      perRequest: INGEST_BATCH,
      connections: 4,
      request: () => ({
        method: "POST",
        path: "/ingest",
        headers: json,
        body: JSON.stringify(ingestItems("base", ingested)),
      }),
    },
    text: {
      name: "baseline: text search, one tsquery",
      unit: "queries/s",
      perRequest: 1,
      connections: 8,
      request: () => baselineSearch("text", { query: pickQuery() }),
    },
    vector: {
      name: "baseline: vector search, HNSW",
      unit: "queries/s",
      perRequest: 1,
      connections: 8,
      request: () => baselineSearch("vector", { embedding: randomVector() }),
    },
    hybrid: {
      name: "baseline: hybrid search, RRF in SQL",
      unit: "queries/s",
      perRequest: 1,
      connections: 8,
      request: () => baselineSearch("hybrid", { query: pickQuery(), embedding: randomVector() }),
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

/**
 * Memory Mirror's hot paths, through the real stack (auth on: every request carries the bench key). Reads first:
 * the writes add rows to the space, and the searches must see the same rows as their baselines did.
 */
/** The single lookup's name among serviceScenarios: layers.ts picks it by this key. */
export const SINGLE_LOOKUP = "tRPC byVideoId, one call per request (GET)";

export function serviceScenarios({ rows, apiKey, batch }: ScenarioContext): Scenario[] {
  const auth = { authorization: `Bearer ${apiKey}` };
  const pick = () => videoIdOf(Math.floor(Math.random() * rows));
  let created = 0;
  const ingested = { n: 0 };
  return [
    {
      name: SINGLE_LOOKUP,
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
      name: "tRPC byVideoIds of 100",
      unit: "lookups/s",
      perRequest: 100,
      connections: 8,
      baseline: "single",
      request: () => ({
        method: "POST",
        path: "/trpc/videoAnalysis.byVideoIds?batch=1",
        headers: { ...auth, ...json },
        body: JSON.stringify({ 0: { videoIds: Array.from({ length: 100 }, pick) } }),
      }),
    },
    {
      name: "tRPC search, text",
      unit: "queries/s",
      perRequest: 1,
      connections: 8,
      baseline: "text",
      request: () => ({
        method: "GET",
        path: `/trpc/videoAnalysis.search?input=${enc({ query: pickQuery(), limit: 10 })}`,
        headers: auth,
      }),
    },
    {
      name: "tRPC search, vector",
      unit: "queries/s",
      perRequest: 1,
      connections: 8,
      baseline: "vector",
      request: () => ({
        method: "POST",
        path: "/trpc/videoAnalysis.search?batch=1",
        headers: { ...auth, ...json },
        body: JSON.stringify({ 0: { embedding: { model: MODEL, values: randomVector() }, limit: 10 } }),
      }),
    },
    {
      name: "tRPC search, hybrid (text and embedding)",
      unit: "queries/s",
      perRequest: 1,
      connections: 8,
      baseline: "hybrid",
      request: () => ({
        method: "POST",
        path: "/trpc/videoAnalysis.search?batch=1",
        headers: { ...auth, ...json },
        body: JSON.stringify({
          0: { query: pickQuery(), embedding: { model: MODEL, values: randomVector() }, limit: 10 },
        }),
      }),
    },
    {
      name: "tRPC context, text, maxChars 4000",
      unit: "queries/s",
      perRequest: 1,
      connections: 8,
      baseline: "text",
      request: () => ({
        method: "GET",
        path: `/trpc/videoAnalysis.context?input=${enc({ query: pickQuery(), maxChars: 4000 })}`,
        headers: auth,
      }),
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
    {
      name: `tRPC upsertMany of ${INGEST_BATCH}`,
      unit: "rows/s",
      perRequest: INGEST_BATCH,
      connections: 4,
      baseline: "ingest",
      request: () => ({
        method: "POST",
        path: "/trpc/videoAnalysis.upsertMany",
        headers: { ...auth, ...json },
        body: JSON.stringify({ items: ingestItems("ingest", ingested) }),
      }),
    },
  ];
}

/**
 * 24 unusual words of about 1,000 characters, different every time (no cache helps): the query that once made one
 * space's searches take every pooled connection. None of its words is in any vocabulary.
 */
export function longUnusualQuery(): string {
  const letters = "bcdfghjklmnpqrstvwxz";
  const word = () =>
    Array.from({ length: 40 }, (_, i) => letters[Math.floor(Math.random() * letters.length)] + (i % 3 ? "" : "y"))
      .join("")
      .slice(0, 40);
  return Array.from({ length: 24 }, word).join(" ").slice(0, 1000);
}

/**
 * Another space's latency while one key sends long queries of unusual words on 12 connections: the bench space's
 * lookups and searches alone, then with that neighbour, each compared with its "alone" row (p99 and rate).
 */
export function isolationScenarios({
  rows,
  apiKey,
  noisyKey,
}: ScenarioContext & {
  /** The key of the noisy neighbour's space (seedNoisy). */
  noisyKey: string;
}): Scenario[] {
  const auth = { authorization: `Bearer ${apiKey}` };
  const pick = () => videoIdOf(Math.floor(Math.random() * rows));
  const lookup = (): HttpRequest => ({
    method: "GET",
    path: `/trpc/videoAnalysis.byVideoId?input=${enc({ videoId: pick() })}`,
    headers: auth,
  });
  const search = (): HttpRequest => ({
    method: "GET",
    path: `/trpc/videoAnalysis.search?input=${enc({ query: pickQuery(), limit: 10 })}`,
    headers: auth,
  });
  const neighbour = {
    connections: 12,
    request: (): HttpRequest => ({
      method: "POST",
      path: "/trpc/videoAnalysis.search?batch=1",
      headers: { authorization: `Bearer ${noisyKey}`, ...json },
      body: JSON.stringify({ 0: { query: longUnusualQuery(), limit: 10 } }),
    }),
  };
  const alone = (name: string, request: () => HttpRequest): Scenario => ({
    name: `isolation: ${name}, alone`,
    unit: "requests/s",
    perRequest: 1,
    connections: 8,
    request,
  });
  const beside = (name: string, request: () => HttpRequest): Scenario => ({
    ...alone(name, request),
    name: `isolation: ${name}, beside 12 long unusual queries in another space`,
    comparedWith: `isolation: ${name}, alone`,
    background: neighbour,
  });
  return [
    alone("tRPC byVideoId", lookup),
    beside("tRPC byVideoId", lookup),
    alone("tRPC search, text", search),
    beside("tRPC search, text", search),
  ];
}

/** The single lookup on a server with AUTH=off (the space from X-MM-Space): beside the keyed one, what keys cost. */
export function authOffScenario({ rows }: ScenarioContext): Scenario {
  return {
    name: `${SINGLE_LOOKUP}, AUTH=off`,
    unit: "lookups/s",
    perRequest: 1,
    baseline: "single",
    request: () => ({
      method: "GET",
      path: `/trpc/videoAnalysis.byVideoId?input=${enc({ videoId: videoIdOf(Math.floor(Math.random() * rows)) })}`,
      headers: { "x-mm-space": SPACE },
    }),
  };
}
