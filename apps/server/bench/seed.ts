/**
 * Fills a fresh database for the benchmark in one statement per chunk (so 1,000,000 rows take seconds, not an
 * hour of API calls) and makes the API key the measured requests carry.
 */
import { keyService } from "@memory-mirror/api";
import { createDb, parseDatabaseUrl } from "@memory-mirror/db";

const SCENES = [
  "a child blows out the candles on a birthday cake while the family sings",
  "pasta is cooked in a small kitchen and someone tastes the sauce",
  "a dog chases a ball across the park and brings it back",
  "waves break on a rocky beach at sunset during a holiday",
  "a team meeting in an office with a whiteboard full of diagrams",
  "a bicycle ride along a river path on a cold morning",
  "grandparents open presents in a living room decorated for winter",
  "a football match in the rain with friends cheering",
  "a cat sleeps on a sunny windowsill next to a plant",
  "a hike up a mountain trail with snow on the peaks",
];

export const SPACE = "bench";
export const MODEL = "bench-256";
export const DIMS = 256;
const EMBEDDED_ROWS = 20_000;
export const videoIdOf = (n: number) => `bench-${n}`;

/** What the bench's searches and contexts ask: words of the seed's topics, two typos and a fragment. */
export const BENCH_QUERIES: readonly string[] = [
  "birthday cake candles",
  "pasta sauce kitchen",
  "dog ball park",
  "sunset beach holiday",
  "snow mountain hike",
  "birthdy",
  "kitch",
  "bicycle river morning",
];

/**
 * Migrates `url`, inserts `rows` analyses into the bench space and returns a new API key for that space (key names
 * are unique: a database seeded before needs another `keyName`).
 */
export async function seed(url: string, rows: number, keyName = "bench"): Promise<string> {
  // A chunk of 50,000 rows (full-text column, search vocabulary) takes longer than the server's statement timeout.
  const db = await createDb(parseDatabaseUrl(url, { timeoutMs: 600_000 }));
  try {
    await db.migrate();
    const chunk = 50_000;
    for (let from = 0; from < rows; from += chunk) {
      const to = Math.min(rows, from + chunk) - 1;
      await db.prisma.$executeRaw`
        INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "tags", "createdAt", "updatedAt")
        SELECT 'seed-' || g, ${SPACE}, 'bench-' || g,
               'Video ' || g || ': ' || (${SCENES}::text[])[1 + g % ${SCENES.length}] || '.',
               ARRAY['scene-' || (g % ${SCENES.length}), 'batch-' || (g % 7)],
               timestamp '2026-01-01' + g * interval '1 second', timestamp '2026-01-01' + g * interval '1 second'
        FROM generate_series(${from}::int, ${to}::int) AS g`;
    }
    // Producer embeddings for up to 20,000 rows (past 2,000 searches take the HNSW path), near one of 50 topics.
    const embedded = Math.min(rows, EMBEDDED_ROWS);
    await db.prisma.$executeRaw`
      WITH topic AS (SELECT t, array_agg(random()::real - 0.5) AS v FROM generate_series(0, 49) t, generate_series(1, ${DIMS}) d GROUP BY t)
      UPDATE "VideoAnalysis" a SET "embeddingModel" = ${MODEL}, "embeddingDims" = ${DIMS},
        "embedding" = (SELECT array_agg(x + (random()::real - 0.5) * 0.2)::vector FROM unnest(topic.v) x)
      FROM topic WHERE a."space" = ${SPACE} AND a."id" IN (SELECT 'seed-' || g FROM generate_series(0, ${embedded - 1}) g)
        AND topic.t = (substring(a."id" FROM 6)::int % 50)`;
    // What autovacuum does to a table after a load, done here because this machine's PostgreSQL runs without it
    // (conf.d/90-ci.conf): the full-text index's pending list (20,000 entries at 10,000 rows, every insert and the
    // embedding update) merged, which every text search otherwise reads through (2.0 against 5.3 ms of database CPU
    // for the text baseline), and the update's dead row versions gone.
    await db.prisma.$executeRaw`VACUUM ANALYZE "VideoAnalysis"`;
    const { key } = await keyService.create(
      { prisma: db.prisma },
      { name: keyName, space: SPACE, scopes: ["read", "write"] },
    );
    return key;
  } finally {
    await db.close();
  }
}

/** The space where one key sends long queries of unusual words (the isolation scenarios). */
export const NOISY_SPACE = "noisy";

/**
 * A second space with a vocabulary of about 30,000 words (1,000 analyses of 30 coined words each, through the
 * vocabulary's own triggers) and a key of its own: what a noisy neighbour's searches have to look words up in.
 */
export async function seedNoisy(url: string): Promise<string> {
  const db = await createDb(parseDatabaseUrl(url, { timeoutMs: 600_000 }));
  try {
    await db.prisma.$executeRaw`
      INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "createdAt", "updatedAt")
      SELECT 'noisy-' || g, ${NOISY_SPACE}, 'noisy-' || g,
             (SELECT string_agg('w' || substr(md5(g || '-' || w), 1, 8 + w % 5), ' ') FROM generate_series(1, 30) AS w),
             now(), now()
      FROM generate_series(1, 1000) AS g`;
    await db.prisma.$executeRaw`ANALYZE "SearchTerm"`;
    const { key } = await keyService.create(
      { prisma: db.prisma },
      { name: "noisy", space: NOISY_SPACE, scopes: ["read"] },
    );
    return key;
  } finally {
    await db.close();
  }
}
