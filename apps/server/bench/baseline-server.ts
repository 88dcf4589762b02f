/**
 * The yardstick: what Memory Mirror's hot paths do, hand-written on node:http + pg with no framework, no validation,
 * no auth and no ORM. Memory Mirror's figures are reported as ratios to this, measured in the same run.
 *   GET  /v/<videoId>          one lookup
 *   GET  /batch?ids=<a,b,…>     many lookups, one `= ANY($2)` query
 *   GET  /list                  the newest 100 (list's keyset query, first page)
 *   POST /v  {videoId,description}  one INSERT
 *   POST /ingest  [{videoId,description}, …]  one multi-row INSERT … ON CONFLICT DO UPDATE
 *   POST /search/text    {query}             one websearch_to_tsquery, ts_rank_cd, LIMIT 10
 *   POST /search/vector  {embedding}         ORDER BY embedding <=> $1 LIMIT 10 over the HNSW index
 *   POST /search/hybrid  {query, embedding}  both (50 each), fused by reciprocal rank in SQL, LIMIT 10
 * The searches read the same indexes as the service (the searchVector GIN index, the partial HNSW index of the
 * 256-dimension vectors, which a statement reaches only by repeating its cast and predicate) with pgvector's
 * defaults (ef_search 40, no iterative scan): what a person writing the query by hand would get.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import pg from "pg";

const SPACE = process.env.BENCH_SPACE ?? "bench";
// Writes go to a space of their own: the service's reads, measured after these, see the seeded rows only.
const WRITE_SPACE = `${SPACE}-writes`;
const NAMES = [
  "id",
  "videoId",
  "description",
  "tags",
  "embeddingModel",
  "embeddingDims",
  "version",
  "createdAt",
  "updatedAt",
];
const columns = (alias = "") => NAMES.map((n) => `${alias}"${n}"`).join(", ");
const COLUMNS = columns();
const DIMS = 256;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});

// $1 is the space; the query text and vector come next, as each statement numbers them.
const textHits = (text: string) => `
  SELECT v."id", ts_rank_cd(v."searchVector", q) AS "score"
  FROM "VideoAnalysis" v, websearch_to_tsquery('mm_english', ${text}) q
  WHERE v."space" = $1 AND v."searchVector" @@ q`;
const vectorHits = (vector: string) => {
  const distance = `v."embedding"::vector(${DIMS}) <=> ${vector}::vector(${DIMS})`;
  return `
  SELECT v."id", 1 - (${distance}) AS "score" FROM "VideoAnalysis" v
  WHERE v."space" = $1 AND v."embeddingDims" = ${DIMS} ORDER BY ${distance}`;
};
const withColumns = (hits: string) =>
  `SELECT ${columns("a.")}, h."score"
   FROM (${hits}) h JOIN "VideoAnalysis" a ON a."id" = h."id" ORDER BY h."score" DESC`;
interface SearchBody {
  query?: string;
  embedding?: number[];
}
const literal = (values: number[] = []) => `[${values.join(",")}]`;
const SEARCHES: Record<string, { sql: string; params: (body: SearchBody) => unknown[] }> = {
  text: { sql: withColumns(`${textHits("$2")} ORDER BY "score" DESC LIMIT 10`), params: (b) => [b.query] },
  vector: { sql: withColumns(`${vectorHits("$2")} LIMIT 10`), params: (b) => [literal(b.embedding)] },
  hybrid: {
    sql: withColumns(`
    SELECT "id", sum(1.0 / (60 + r)) AS "score" FROM (
      SELECT "id", row_number() OVER () AS r FROM (${textHits("$2")} ORDER BY "score" DESC LIMIT 50) t
      UNION ALL
      SELECT "id", row_number() OVER () AS r FROM (${vectorHits("$3")} LIMIT 50) n
    ) ranked GROUP BY "id" ORDER BY "score" DESC LIMIT 10`),
    params: (b) => [b.query, literal(b.embedding)],
  },
};

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  try {
    if (req.method === "GET" && url.startsWith("/v/")) {
      const { rows } = await pool.query(
        `SELECT ${COLUMNS} FROM "VideoAnalysis" WHERE "space" = $1 AND "videoId" = $2`,
        [SPACE, decodeURIComponent(url.slice(3))],
      );
      return send(res, rows[0] ? 200 : 404, rows[0] ?? { detail: "Not Found" });
    }
    if (req.method === "GET" && url.startsWith("/batch?ids=")) {
      const ids = decodeURIComponent(url.slice("/batch?ids=".length)).split(",");
      const { rows } = await pool.query(
        `SELECT ${COLUMNS} FROM "VideoAnalysis" WHERE "space" = $1 AND "videoId" = ANY($2)`,
        [SPACE, ids],
      );
      return send(res, 200, rows);
    }
    if (req.method === "GET" && url === "/list") {
      const { rows } = await pool.query(
        `SELECT ${COLUMNS} FROM "VideoAnalysis" WHERE "space" = $1 ORDER BY "createdAt" DESC, "id" DESC LIMIT 101`,
        [SPACE],
      );
      return send(res, 200, { items: rows.slice(0, 100) });
    }
    if (req.method === "POST" && url === "/v") {
      const { videoId, description } = JSON.parse(await readBody(req)) as { videoId: string; description: string };
      const now = new Date();
      const { rows } = await pool.query(
        `INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${COLUMNS}`,
        [randomUUID(), WRITE_SPACE, videoId, description, now],
      );
      return send(res, 200, rows[0]);
    }
    if (req.method === "POST" && url === "/ingest") {
      const items = await readBody(req);
      const { rowCount } = await pool.query(
        `INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "createdAt", "updatedAt")
         SELECT gen_random_uuid()::text, $1, i."videoId", i."description", now(), now()
         FROM json_to_recordset($2::json) AS i("videoId" text, "description" text)
         ON CONFLICT ("space", "videoId") DO UPDATE SET "description" = EXCLUDED."description", "updatedAt" = EXCLUDED."updatedAt"`,
        [WRITE_SPACE, items],
      );
      return send(res, 200, { written: rowCount });
    }
    if (req.method === "POST" && url.startsWith("/search/")) {
      const search = SEARCHES[url.slice("/search/".length)];
      if (!search) return send(res, 404, { detail: "Not Found" });
      const body = JSON.parse(await readBody(req)) as SearchBody;
      const { rows } = await pool.query(search.sql, [SPACE, ...search.params(body)]);
      return send(res, 200, { items: rows });
    }
    send(res, 404, { detail: "Not Found" });
  } catch (error) {
    send(res, 500, { detail: String(error) });
  }
}

// handle() answers its own failures (500); one it cannot answer stays an unhandled rejection that ends this yardstick
// loudly, as it did when the async function was the listener itself (node:http ignores a listener's promise).
const server = http.createServer((req, res) => void handle(req, res));
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => void pool.end().then(() => process.exit(0))));
