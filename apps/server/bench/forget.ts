/**
 * What counting the vocabulary's words costs (migration *_search_term_uses: a deleted memory's words leave the typo
 * vocabulary): deleteMany of 10,000 analyses (ten calls of 1,000, the most one call takes) and their upsertMany
 * before it, through the tRPC caller, with the counting triggers against the triggers before them (insert: add new
 * words, ignore known ones; delete: nothing), alternated in the same run, on PostgreSQL and on the embedded
 * database. Measured, not asserted; the figures are in docs/performance.md.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/forget.ts [postgres|embedded ...]
 *
 * Knobs: BENCH_ROWS (10,000 deleted per round), BENCH_ROUNDS (3 of each), MM_TEST_POSTGRES_URL. Another space of
 * BENCH_ROWS analyses stays stored throughout, so the table and the vocabulary are not only the deleted rows.
 */
import { loadavg } from "node:os";
import { ANONYMOUS, createCaller, createContext } from "@memory-mirror/api";
import { openTestDb, type TestTargetName, testTargets } from "@memory-mirror/db/testing";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALL = 1000;
const TRIGGER = `"VideoAnalysis_search_terms_delete"`;
const INSERT_FUNCTION = `"mm_count_inserted_search_terms"`;
/** The insert trigger's body before counting (its column list aside): known words cost nothing. */
const BEFORE = `INSERT INTO "SearchTerm" ("space", "term", "uses")
  SELECT DISTINCT n."space", w.term, 1 FROM new_rows n CROSS JOIN LATERAL "mm_search_words"(n."description") AS w(term)
  ORDER BY 1, 2 ON CONFLICT DO NOTHING`;

const rng = xoroshiro128plus(7);
const random = () => uniformFloat64(rng);
const syllables = ["ka", "lo", "mi", "ran", "tes", "vo", "bel", "dor", "sin", "ta", "mar", "eli", "no", "ser", "pa"];
/** About 30,000 coined words, and the common words every description has. */
const coined = Array.from({ length: 30_000 }, () =>
  Array.from({ length: 2 + Math.floor(random() * 3) }, () => syllables[Math.floor(random() * syllables.length)]).join(
    "",
  ),
);
const common = ["the", "with", "and", "video", "evening", "friends", "walking", "near", "house", "after"];
const description = () =>
  Array.from({ length: 40 }, (_, i) =>
    i % 3 === 0 ? common[i % common.length] : coined[Math.floor(random() * coined.length)],
  ).join(" ");

async function measure(target: TestTargetName) {
  const db = await openTestDb(target);
  const callerIn = (space: string) =>
    createCaller(() =>
      createContext({
        prisma: db.prisma,
        principal: ANONYMOUS,
        space,
        limits: { maxRows: 100_000, maxBytes: 1 << 30 },
      }),
    );
  const fill = async (space: string) => {
    const caller = callerIn(space);
    for (let i = 0; i < ROWS; i += CALL)
      await caller.videoAnalysis.upsertMany({
        items: Array.from({ length: Math.min(CALL, ROWS - i) }, (_, j) => ({
          videoId: `v${i + j}`,
          description: description(),
        })),
      });
  };
  try {
    const [{ counting }] = await db.prisma.$queryRaw<[{ counting: string }]>`
      SELECT prosrc AS "counting" FROM pg_proc WHERE proname = 'mm_count_inserted_search_terms'`;
    const insertBody = (body: string) =>
      db.prisma.$executeRawUnsafe(
        `CREATE OR REPLACE FUNCTION ${INSERT_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$${body}$body$`,
      );
    await fill("kept");
    type Mode = "with" | "without";
    const times: Record<Mode, { fill: number[]; delete: number[] }> = {
      with: { fill: [], delete: [] },
      without: { fill: [], delete: [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["with", "without"] as const) {
        // A clean vocabulary for the deleted space each time (the rounds without counting leave its words).
        await db.prisma.$executeRawUnsafe(`DELETE FROM "SearchTerm" WHERE "space" = 'forget'`);
        await insertBody(mode === "with" ? counting : `BEGIN ${BEFORE}; RETURN NULL; END`);
        await db.prisma.$executeRawUnsafe(
          `ALTER TABLE "VideoAnalysis" ${mode === "with" ? "ENABLE" : "DISABLE"} TRIGGER ${TRIGGER}`,
        );
        let started = performance.now();
        await fill("forget");
        times[mode].fill.push(performance.now() - started);
        await db.prisma.$executeRawUnsafe(`ANALYZE "VideoAnalysis"`);
        const caller = callerIn("forget");
        started = performance.now();
        for (let i = 0; i < ROWS; i += CALL)
          await caller.videoAnalysis.deleteMany({
            videoIds: Array.from({ length: Math.min(CALL, ROWS - i) }, (_, j) => `v${i + j}`),
          });
        times[mode].delete.push(performance.now() - started);
      }
    }
    await insertBody(counting);
    await db.prisma.$executeRawUnsafe(`ALTER TABLE "VideoAnalysis" ENABLE TRIGGER ${TRIGGER}`);
    const [{ words }] = await db.prisma.$queryRaw<[{ words: number }]>`
      SELECT count(*)::int AS "words" FROM "SearchTerm" WHERE "space" = 'kept'`;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const figure = (what: "fill" | "delete", label: string) => {
      const withMs = median(times.with[what]);
      const withoutMs = median(times.without[what]);
      const all = (mode: Mode) => times[mode][what].map((t) => t.toFixed(0)).join("/");
      return (
        `${label} of ${ROWS} rows (${ROWS / CALL} calls), median of ${ROUNDS}: ${withMs.toFixed(0)} ms counting, ` +
        `${withoutMs.toFixed(0)} ms before: ${(withMs / withoutMs).toFixed(2)}× (counting ${all("with")}, before ${all("without")})`
      );
    };
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
    console.log(`${target} (kept space's vocabulary: ${words} words; load ${load}):`);
    console.log(`  ${figure("fill", "upsertMany")}`);
    console.log(`  ${figure("delete", "deleteMany")}`);
  } finally {
    await db.dispose();
  }
}

const asked = process.argv.slice(2);
for (const target of await testTargets()) {
  if (target.skip || (asked.length > 0 && !asked.includes(target.name))) continue;
  await measure(target.name);
}
