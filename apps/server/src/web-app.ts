/**
 * The web app (apps/web, built by Vite into apps/web/dist) at `/`: hashed files under /assets cached for a year,
 * index.html never cached so a deploy is picked up on the next load. Paths the app routes itself (/memories/…,
 * /search…) get index.html when a browser navigates to them; programs keep the API's JSON 404.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import { type Context, Hono } from "hono";
import { compress } from "hono/compress";
import type { AppEnv } from "./request-variables.ts";

/** Where `pnpm build` puts the app: the same path from src/ (tests, dev) and dist/ (production). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../web/dist/", import.meta.url));

/** Prefixes that belong to the APIs and operators: never answered with the app's page. */
const NOT_THE_APP = /^\/(api|trpc|mcp|docs|openapi\.json|metrics|healthz|readyz)(\/|$)/;

const NOT_BUILT =
  "The web app is not built. Run `pnpm build` (or `pnpm start`, which builds everything) and reload this page.\n";

export function createWebAppRoutes(webDir = DEFAULT_WEB_DIR): {
  routes: Hono<AppEnv>;
  /** For the app's notFound handler: index.html for a browser's navigation to a path the app routes itself. */
  fallback: (c: Context<AppEnv>) => Promise<Response> | undefined;
} {
  const indexPath = `${webDir}/index.html`;
  let index: Promise<string> | undefined;
  const page = async (c: Context<AppEnv>) => {
    if (!existsSync(indexPath)) return c.text(NOT_BUILT, 503, { "Cache-Control": "no-store" });
    index ??= readFile(indexPath, "utf8");
    index.catch(() => (index = undefined));
    return c.html(await index, 200, { "Cache-Control": "no-cache" });
  };

  const routes = new Hono<AppEnv>();
  routes.use("/", compress());
  routes.use("/assets/*", compress());
  routes.get("/", page);
  routes.get(
    "/assets/*",
    serveStatic({
      root: webDir,
      // Every file name carries a hash of its content: a changed file is a new URL.
      onFound: (_path, c) => c.header("Cache-Control", "public, max-age=31536000, immutable"),
    }),
  );

  const fallback = (c: Context<AppEnv>) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") return undefined;
    if (NOT_THE_APP.test(c.req.path) || c.req.path.startsWith("/assets/")) return undefined;
    if (!c.req.header("accept")?.includes("text/html")) return undefined;
    return page(c);
  };
  return { routes, fallback };
}
