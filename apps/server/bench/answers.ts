/**
 * The service's answers to a fixed corpus of searches and contexts, lookups and pages (tRPC and REST), written to a
 * JSON file; `--compare` says which of
 * two such files' answers differ. A change to how searches find or rank (a statement rewritten for speed) should keep
 * every answer byte for byte: run this against the same kept database with the build before and the build after.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/answers.ts --out after.json [--server …/dist/main.js]
 *   node --conditions=@memory-mirror/source --import tsx bench/answers.ts --compare before.json after.json
 *
 * Needs BENCH_DATABASE_URL: a database cpu.ts seeded and kept (BENCH_KEEP=1). Every request goes through the built
 * server over HTTP (this tree's dist/main.js unless `--server` names another's), as the bench's own do. The corpus is
 * the same on every run: its "random" embeddings come from a fixed seed and its "near" ones from stored vectors.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { serviceEnv, startProcess, stop } from "./processes.ts";
import { BENCH_QUERIES, DIMS, MODEL, SPACE, seed, videoIdOf } from "./seed.ts";

const { values, positionals } = parseArgs({
  options: {
    out: { type: "string" },
    server: { type: "string" },
    compare: { type: "boolean", default: false },
  },
  allowPositionals: true,
});

interface Answer {
  name: string;
  input: unknown;
  status: number;
  body: string;
}

if (values.compare) {
  if (positionals.length !== 2) throw new Error("--compare <before.json> <after.json>: two files of answers");
  const [a, b] = await Promise.all(
    positionals.map(async (file) => JSON.parse(await readFile(file, "utf8")) as Answer[]),
  );
  const other = new Map(b!.map((answer) => [answer.name, answer]));
  const differ = a!.filter((answer) => {
    const twin = other.get(answer.name);
    return !twin || twin.status !== answer.status || twin.body !== answer.body;
  });
  for (const answer of differ) console.log(`differs: ${answer.name}`);
  const first = new Set(a!.map((answer) => answer.name));
  const missing = b!.filter((answer) => !first.has(answer.name));
  for (const answer of missing) console.log(`only in the second: ${answer.name}`);
  console.log(`${a!.length - differ.length} of ${a!.length} answers equal byte for byte`);
  process.exit(differ.length || missing.length ? 1 : 0);
}

const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL: a database seeded by cpu.ts (BENCH_KEEP=1 keeps the one it makes)");
if (!values.out) throw new Error("--out <file>: where the answers go");

/** A fixed pseudo-random sequence (mulberry32): the same "random" embeddings on every run. */
function sequence(seedValue: number): () => number {
  let state = seedValue >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = sequence(19);
const randomVector = () => Array.from({ length: DIMS }, () => Math.round((next() - 0.5) * 1e6) / 1e6);

/** Near queries: stored vectors (one per topic of the seed, seed.ts) moved a little, as a producer's would be. */
async function nearVectors(count: number): Promise<number[][]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const ids = Array.from({ length: count }, (_, i) => `seed-${i * 7}`);
    const { rows } = await client.query<{ embedding: string }>(
      `SELECT "embedding"::text AS embedding FROM "VideoAnalysis" WHERE "id" = ANY($1::text[]) ORDER BY "id"`,
      [ids],
    );
    return rows.map((r) =>
      (JSON.parse(r.embedding) as number[]).map((x) => Math.round((x + (next() - 0.5) * 0.05) * 1e6) / 1e6),
    );
  } finally {
    await client.end();
  }
}

const QUERIES = [
  ...BENCH_QUERIES,
  "the dog and the ball",
  '"rocky beach" waves',
  '"birthday cake" -candles',
  "cat or dog",
  "grandparnts presants wintr",
  "whiteboard",
  "zzyzx qwertyuiop",
  "a the of",
  "football rain friends cheering mountain trail snow peaks",
  "Video 42",
  "sleeping cats",
  "mountain -snow",
  "famly sings",
  "ok",
];
const LIMITS = [1, 3, 10, 50];
const MAX_CHARS = [200, 1000, 4000, 8000, 8001, 20_000];

function corpus(near: number[][]): { name: string; path: string; input: Record<string, unknown> }[] {
  const all: { name: string; path: string; input: Record<string, unknown> }[] = [];
  const add = (path: "search" | "context", input: Record<string, unknown>) =>
    all.push({ name: `${path} ${JSON.stringify(input).slice(0, 160)} #${all.length}`, path, input });
  for (const query of QUERIES) {
    for (const limit of LIMITS) add("search", { query, limit });
    add("search", { query, limit: 10, minScore: 0 });
    add("search", { query, limit: 10, minScore: 0.6 });
    add("search", { query, limit: 10, tags: ["scene-3"] });
    for (const maxChars of MAX_CHARS) add("context", { query, maxChars });
    add("context", { query, maxChars: 4000, minScore: 0 });
  }
  const embeddings = [...near, randomVector(), randomVector(), randomVector()];
  for (const values of embeddings) {
    const embedding = { model: MODEL, values };
    for (const limit of [1, 10, 50]) add("search", { embedding, limit });
    add("search", { embedding, limit: 10, minScore: 0 });
    add("search", { embedding, limit: 10, tags: ["batch-2"] });
    for (const query of BENCH_QUERIES) add("search", { query, embedding, limit: 10 });
    add("search", { query: "birthdy candels", embedding, limit: 25, minScore: 0 });
    add("context", { embedding, maxChars: 4000 });
    add("context", { query: "dog park", embedding, maxChars: 2000 });
  }
  add("search", { embedding: { model: "unknown-model", values: randomVector() }, limit: 10 });
  add("search", { query: "dog", embedding: { model: "unknown-model", values: randomVector() }, limit: 10 });
  add("context", { videoIds: [videoIdOf(3), videoIdOf(999_999), videoIdOf(17)], maxChars: 1000 });
  return all;
}

/** The reads by key and the pages, over tRPC and REST: every timestamp an answer can carry (EDGES among them). */
function reads(): { name: string; path: string; input: Record<string, unknown> }[] {
  const videoIds = [...EDGES.map((edge) => edge.videoId), ...[0, 1, 42, 9_999].map(videoIdOf)];
  const all = [
    ...videoIds.map((videoId) => ({ path: "byVideoId", input: { videoId } })),
    { path: "byVideoIds", input: { videoIds: [...videoIds, videoIdOf(999_999)] } },
    ...[1, 20, 100].map((limit) => ({ path: "list", input: { limit } })),
    { path: "list", input: { limit: 100, orderBy: "recordedAt" } },
    ...videoIds.map((videoId) => ({ path: `GET ${REST}/${videoId}`, input: {} })),
    { path: `GET ${REST}/?limit=100`, input: {} },
    { path: `GET ${REST}/?limit=20&order_by=recorded_at`, input: {} },
  ];
  return all.map((read, i) => ({ name: `${read.path} ${JSON.stringify(read.input).slice(0, 160)} #r${i}`, ...read }));
}
const REST = "/api/video-analysis";

/**
 * Rows whose timestamps only raw SQL writes (the seed's are whole seconds in UTC): milliseconds 999, microseconds
 * (the columns round them), years 0001 and 9999, recording times in an offset. Written once, kept by later runs.
 */
const EDGES = [
  {
    videoId: "edge-ms-999",
    createdAt: "2025-12-31 23:59:59.999",
    recordedAt: "2019-07-14 08:00:00.999+00",
    offset: 120,
  },
  {
    videoId: "edge-us",
    createdAt: "2025-12-31 12:00:00.123456",
    recordedAt: "1900-01-01 00:00:00.0005+00",
    offset: -330,
  },
  { videoId: "edge-year-1", createdAt: "0001-01-01 00:00:00", recordedAt: "2019-07-14 08:00:00+00", offset: 0 },
  { videoId: "edge-year-9999", createdAt: "9999-12-31 23:59:59.999", recordedAt: null, offset: null },
];
async function writeEdges(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const { videoId, createdAt, recordedAt, offset } of EDGES)
      await client.query(
        `INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "createdAt", "updatedAt", "recordedAt",
           "recordedAtOffset")
         VALUES ($1, $5, $1, 'An edge of time: ' || $1, $2::timestamp, $2::timestamp, $3::timestamptz, $4::smallint)
         ON CONFLICT DO NOTHING`,
        [videoId, createdAt, recordedAt, offset, SPACE],
      );
  } finally {
    await client.end();
  }
}

const apiKey = await seed(url, 0, `answers-${Date.now()}`);
await writeEdges();
const here = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const server = await startProcess(values.server ?? here, { ...serviceEnv(url), AUTH: "required" }, "/readyz");
try {
  const answers: Answer[] = [];
  const authorization = `Bearer ${apiKey}`;
  for (const { name, path, input } of [...corpus(await nearVectors(4)), ...reads()]) {
    const response = path.startsWith("GET ")
      ? await fetch(`${server.url}${path.slice(4)}`, { headers: { authorization } })
      : await fetch(`${server.url}/trpc/videoAnalysis.${path}?batch=1`, {
          method: "POST",
          headers: { authorization, "content-type": "application/json" },
          body: JSON.stringify({ 0: input }),
        });
    answers.push({ name, input, status: response.status, body: await response.text() });
  }
  await writeFile(values.out, JSON.stringify(answers, null, 1));
  const failed = answers.filter((a) => a.status !== 200).length;
  console.log(`${answers.length} answers written to ${values.out} (${failed} not 200)`);
} finally {
  await stop(server);
}
