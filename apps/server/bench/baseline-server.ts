/**
 * The yardstick: the same lookup by videoId, hand-written on node:http + pg with no framework, no validation and
 * no ORM. Memory Mirror's figures are reported as ratios to this, measured in the same run.
 */
import http from "node:http";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const server = http.createServer(async (req, res) => {
  const videoId = decodeURIComponent(req.url?.slice("/v/".length) ?? "");
  const { rows } = await pool.query(
    `SELECT "id", "videoId", "description", "createdAt", "updatedAt" FROM "VideoAnalysis" WHERE "videoId" = $1`,
    [videoId],
  );
  res.writeHead(rows[0] ? 200 : 404, { "content-type": "application/json" });
  res.end(JSON.stringify(rows[0] ?? { detail: "Not Found" }));
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))));
