/**
 * The yardstick: what Memory Mirror's hot paths do, hand-written on node:http + pg with no framework, no validation,
 * no auth and no ORM. Memory Mirror's figures are reported as ratios to this, measured in the same run.
 *   GET  /v/<videoId>          one lookup
 *   GET  /batch?ids=<a,b,…>     many lookups, one `= ANY($2)` query
 *   GET  /list                  the newest 100 (list's keyset query, first page)
 *   POST /v  {videoId,description}  one INSERT
 *   POST /ingest  [{videoId,description}, …]  one multi-row INSERT … ON CONFLICT DO UPDATE
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import pg from "pg";

const SPACE = process.env.BENCH_SPACE ?? "bench";
const COLUMNS = `"id", "videoId", "description", "tags", "embeddingModel", "embeddingDims", "version", "createdAt", "updatedAt"`;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});

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
        [randomUUID(), SPACE, videoId, description, now],
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
        [SPACE, items],
      );
      return send(res, 200, { written: rowCount });
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
