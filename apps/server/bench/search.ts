/**
 * Retrieval at scale: text search, hybrid search and context at BENCH_ROWS analyses (default 100,000) with
 * 1,024-dimensional embeddings, in one space, on PostgreSQL and on the embedded database. Measured, not asserted:
 * queries/s and p50/p95 of sequential calls through the tRPC caller (zod, tRPC and the service, no HTTP), and the
 * HNSW path's recall@10 against an exact scan of the same rows.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/search.ts [postgres|embedded ...]
 *
 * Knobs: BENCH_ROWS (100000), BENCH_QUERIES (200 per scenario), BENCH_RECALL_QUERIES (50; 20 embedded),
 * MM_TEST_POSTGRES_URL; BENCH_KEEP=1 keeps the loaded database (its URL is printed) and BENCH_DATABASE_URL measures
 * one kept before without loading again. The data is generated from a fixed seed: descriptions from templates over a vocabulary of
 * a few thousand words (names, places, foods, activities), embeddings as 400 clusters with noise (real embeddings
 * cluster by topic; uniform random vectors would be a worst case no model produces).
 */
import { loadavg } from "node:os";
import { ANONYMOUS, createCaller, createContext } from "@memory-mirror/api";
import { createDb, type Database, parseDatabaseUrl, Prisma } from "@memory-mirror/db";
import { createTestDatabase, type TestTargetName, testTargets } from "@memory-mirror/db/testing";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const DIMS = 1024;
const MODEL = "bench-1024";
const SPACE = "bench";
const CLUSTERS = 400;

// ---- Data ---------------------------------------------------------------------------------------------------

/** Seeded, so the corpus is the same on every run and database. */
const rng = xoroshiro128plus(42);
const random = () => uniformFloat64(rng);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());

/** Many distinct words per slot, as a person's life has: each word lands in a small share of the videos. */
const syllables = [
  "ka",
  "lo",
  "mi",
  "ran",
  "tes",
  "vo",
  "bel",
  "dor",
  "sin",
  "ta",
  "mar",
  "eli",
  "no",
  "ser",
  "pa",
  "gri",
  "ul",
  "fen",
];
const coined = (n: number, parts: number) =>
  Array.from({ length: n }, () => Array.from({ length: parts }, () => pick(syllables)).join(""));
const names = [
  ...new Set([
    "Mia",
    "Leo",
    "Anna",
    "Tom",
    "Grandma",
    "Jonas",
    "Priya",
    "Marco",
    "Sara",
    "Daniel",
    ...coined(300, 2).map((w) => w[0]?.toUpperCase() + w.slice(1)),
  ]),
];
const places = [
  ...new Set([
    "Lisbon",
    "Tokyo",
    "Berlin",
    "the beach",
    "the park",
    "the kitchen",
    "the garden",
    "the office",
    "the lake",
    "the mountains",
    ...coined(600, 3).map((w) => w[0]?.toUpperCase() + w.slice(1)),
  ]),
];
const activities = [
  "cooking",
  "baking",
  "swimming",
  "hiking",
  "cycling",
  "skiing",
  "dancing",
  "painting",
  "reading",
  "gardening",
  "running",
  "climbing",
  "singing",
  "fishing",
  "camping",
  "sailing",
  "skating",
  "knitting",
  "drawing",
  "surfing",
  "playing football",
  "playing chess",
  "playing the piano",
  "building a sandcastle",
  "flying a kite",
  "making pancakes",
  "grilling sausages",
  "walking the dog",
  "feeding the ducks",
  "planting tomatoes",
];
const objects = [
  ...new Set([
    "birthday cake",
    "red bicycle",
    "tent",
    "camera",
    "guitar",
    "kite",
    "sandcastle",
    "snowman",
    "paella",
    "sourdough loaf",
    "puppy",
    "kitten",
    "train",
    "boat",
    "tram",
    "lantern",
    "telescope",
    ...coined(1500, 2),
  ]),
];
const moods = [
  "laughing",
  "exhausted",
  "soaked",
  "proud",
  "nervous",
  "delighted",
  "freezing",
  "sunburnt",
  "quiet",
  "loud",
];
const times = [
  "in the morning",
  "after school",
  "on Sunday",
  "late at night",
  "during the holidays",
  "in the rain",
  "at sunset",
  "on her birthday",
  "on his birthday",
  "at Christmas",
];
const tagPool = [
  "family",
  "travel",
  "cooking",
  "work",
  "sport",
  "pets",
  "friends",
  "music",
  "garden",
  "home",
  "birthday",
  "holiday",
  "winter",
  "summer",
  "school",
  "mia",
  "leo",
  "anna",
  "nature",
  "food",
];

function description(): string {
  const sentences = [
    `${pick(names)} ${pick(activities)} at ${pick(places)} ${pick(times)}, ${pick(moods)}.`,
    `There is a ${pick(objects)} and a ${pick(objects)} near ${pick(names)}, who keeps ${pick(activities)}.`,
    `Later ${pick(names)} and ${pick(names)} talk about the ${pick(objects)} from ${pick(places)}.`,
    `The video ends with everyone ${pick(moods)} and a close-up of the ${pick(objects)}.`,
  ];
  return sentences.slice(0, 2 + Math.floor(random() * 3)).join(" ");
}

const centroids = Array.from({ length: CLUSTERS }, () => unit(Array.from({ length: DIMS }, gauss)));
function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
/** A point of cluster `c`: its centroid plus noise about as large as the centroid (cosine to it ≈ 0.7). */
function clustered(c: number, noise = 0.035): number[] {
  const centroid = centroids[c] as number[];
  return unit(centroid.map((x) => x + gauss() * noise));
}
const literal = (v: number[]) => `[${v.map((x) => x.toFixed(5)).join(",")}]`;

function typo(word: string): string {
  const i = 1 + Math.floor(random() * (word.length - 2));
  return word.slice(0, i) + word.slice(i + 1);
}

/** What a person might type: a few words of a memory, sometimes misspelt or cut short, sometimes a question. */
function textQuery(): string {
  const word = () =>
    pick([pick(activities).split(" ").at(-1) ?? "", pick(objects), pick(places), pick(names)]).toLowerCase();
  switch (Math.floor(random() * 5)) {
    case 0:
      return `${word()} ${word()}`;
    case 1:
      return typo(pick(objects).split(" ")[0] ?? "cake");
    case 2:
      return (pick(places).split(" ").at(-1) ?? "beach").slice(0, 5);
    case 3:
      return `when was ${pick(names)} ${pick(activities)} with the ${pick(objects)}?`;
    default:
      return `${word()} ${word()} ${word()}`;
  }
}

// ---- Loading ------------------------------------------------------------------------------------------------

async function load(db: Database): Promise<void> {
  const { prisma } = db;
  // Building HNSW once after the load is far faster than inserting 100k vectors into the graph one by one.
  const [{ indexdef } = { indexdef: "" }] = await prisma.$queryRaw<{ indexdef: string }[]>`
    SELECT indexdef FROM pg_indexes WHERE indexname = 'VideoAnalysis_embedding_1024_idx'`;
  await prisma.$executeRawUnsafe(`DROP INDEX "VideoAnalysis_embedding_1024_idx"`);
  const started = performance.now();
  const BATCH = 250;
  const epoch = Date.UTC(2021, 0, 1);
  for (let i = 0; i < ROWS; i += BATCH) {
    const values: Prisma.Sql[] = [];
    for (let j = i; j < Math.min(ROWS, i + BATCH); j++) {
      const tags = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(tagPool)))].sort();
      const at = new Date(epoch + j * 1500_000);
      values.push(Prisma.sql`(${`bench-${j}`}, ${SPACE}, ${`vid_${j}`}, ${description()}, ${tags}::text[], ${MODEL}, ${DIMS}::int,
        ${literal(clustered(j % CLUSTERS))}::vector, ${at}::timestamp(3), ${at}::timestamp(3))`);
    }
    await prisma.$executeRaw`INSERT INTO "VideoAnalysis"
      ("id", "space", "videoId", "description", "tags", "embeddingModel", "embeddingDims", "embedding", "createdAt", "updatedAt")
      VALUES ${Prisma.join(values)}`;
    if ((i / BATCH) % 40 === 0)
      log(`  loaded ${i + values.length} rows (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  log(`  loaded ${ROWS} rows in ${((performance.now() - started) / 1000).toFixed(0)} s; building HNSW`);
  const built = performance.now();
  await prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL maintenance_work_mem = '1GB'`);
      await tx.$executeRawUnsafe(indexdef);
    },
    { timeout: 3 * 3600_000, maxWait: 60_000 },
  );
  log(`  HNSW built in ${((performance.now() - built) / 1000).toFixed(0)} s`);
  await prisma.$executeRawUnsafe(`VACUUM ANALYZE "VideoAnalysis"`);
  await prisma.$executeRawUnsafe(`VACUUM ANALYZE "SearchTerm"`);
}

// ---- Measuring ----------------------------------------------------------------------------------------------

interface Row {
  database: string;
  scenario: string;
  qps: number;
  p50: number;
  p95: number;
  note: string;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function measure(database: string, scenario: string, calls: (() => Promise<unknown>)[], note = ""): Promise<Row> {
  for (const call of calls.slice(0, 10)) await call(); // warm caches and plans
  const latencies: number[] = [];
  const started = performance.now();
  for (const call of calls) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
  const total = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    database,
    scenario,
    qps: calls.length / total,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    note,
  };
}

async function run(name: TestTargetName): Promise<Row[]> {
  const kept = process.env.BENCH_DATABASE_URL;
  const target = kept
    ? { url: kept, drop: async () => {} }
    : await createTestDatabase(
        name,
        name === "embedded" && process.env.BENCH_KEEP ? `/tmp/mm-bench-${Date.now()}` : undefined,
      );
  const db = await createDb(parseDatabaseUrl(target.url, { timeoutMs: 600_000 })); // seeding outlasts the statement timeout
  try {
    await db.migrate();
    if (!kept) {
      log(`${name}: loading ${ROWS} analyses of ${DIMS} dimensions`);
      await load(db);
    }
    if (process.env.BENCH_KEEP) log(`kept: BENCH_DATABASE_URL=${target.url}`);
    const caller = createCaller(() => createContext({ prisma: db.prisma, principal: ANONYMOUS, space: SPACE }));
    const queryTexts = Array.from({ length: QUERIES }, textQuery);
    const vectors = Array.from({ length: QUERIES }, () => clustered(Math.floor(random() * CLUSTERS), 0.05));
    const embedding = (i: number) => ({ model: MODEL, values: vectors[i] as number[] });
    const rows: Row[] = [];
    // The machines are shared: a busy neighbour inflates every latency, so each row says how busy it was.
    const note = (calls: number) => `${calls} sequential calls, load average ${loadavg()[0]?.toFixed(1)}`;

    rows.push(
      await measure(
        name,
        "text search",
        queryTexts.map((query) => () => caller.videoAnalysis.search({ query })),
        note(QUERIES),
      ),
    );
    rows.push(
      await measure(
        name,
        "vector search",
        vectors.map((_, i) => () => caller.videoAnalysis.search({ embedding: embedding(i) })),
        note(QUERIES),
      ),
    );
    rows.push(
      await measure(
        name,
        "hybrid search",
        queryTexts.map((query, i) => () => caller.videoAnalysis.search({ query, embedding: embedding(i) })),
        note(QUERIES),
      ),
    );
    rows.push(
      await measure(
        name,
        "context (maxChars 4000)",
        queryTexts.map(
          (query, i) => () => caller.videoAnalysis.context({ query, embedding: embedding(i), maxChars: 4000 }),
        ),
        note(QUERIES),
      ),
    );
    rows.push(
      await measure(name, "tags", [() => caller.videoAnalysis.tags(), () => caller.videoAnalysis.tags()], "2 calls"),
    );

    // Recall@10 of the HNSW path against an exact scan (the cast-free distance cannot use the index).
    const recallQueries = Number(process.env.BENCH_RECALL_QUERIES ?? (name === "embedded" ? 20 : 50));
    let found = 0;
    for (let i = 0; i < recallQueries; i++) {
      const { items } = await caller.videoAnalysis.search({ embedding: embedding(i), limit: 10 });
      const exact = await db.prisma.$queryRaw<{ videoId: string }[]>`
        SELECT "videoId" FROM "VideoAnalysis"
        WHERE "space" = ${SPACE} AND "embeddingModel" = ${MODEL} AND "embeddingDims" = ${DIMS}
        ORDER BY "embedding" <=> ${literal(vectors[i] as number[])}::vector LIMIT 10`;
      const approximate = new Set(items.map((item) => item.analysis.videoId));
      found += exact.filter((r) => approximate.has(r.videoId)).length;
    }
    const recall = found / (10 * recallQueries);
    rows.push({
      database: name,
      scenario: "vector recall@10 vs exact scan",
      qps: 0,
      p50: 0,
      p95: 0,
      note: `${recall.toFixed(3)} over ${recallQueries} queries`,
    });
    return rows;
  } finally {
    await db.close();
    if (!process.env.BENCH_KEEP) await target.drop();
  }
}

const wanted = process.argv.slice(2) as TestTargetName[];
const available = (await testTargets()).filter((t) => !t.skip).map((t) => t.name);
const databases = wanted.length > 0 ? wanted : available;
const all: Row[] = [];
for (const name of databases) {
  const rows = await run(name);
  all.push(...rows);
  for (const r of rows)
    log(
      `${r.database}\t${r.scenario}\t${r.qps.toFixed(1)}/s\tp50 ${r.p50.toFixed(1)} ms\tp95 ${r.p95.toFixed(1)} ms\t${r.note}`,
    );
}
console.log(`\nSearch at ${ROWS} analyses (${DIMS} dimensions, one space):\n`);
console.log("| database | scenario | queries/s | p50 ms | p95 ms | note |\n|---|---|---|---|---|---|");
for (const r of all) {
  const timed = r.qps > 0;
  console.log(
    `| ${r.database} | ${r.scenario} | ${timed ? r.qps.toFixed(1) : ""} | ${timed ? r.p50.toFixed(1) : ""} | ${timed ? r.p95.toFixed(1) : ""} | ${r.note} |`,
  );
}
