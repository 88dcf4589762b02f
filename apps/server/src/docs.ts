/**
 * GET /docs: Swagger UI over /openapi.json. Its files come from the swagger-ui-dist npm package and are served
 * by this server, so the page works without internet (no CDN, no fonts, no online validator).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "./request-variables.ts";

const ASSETS = "/docs/assets";

/** The only files served, so no request path ever reaches the file system. */
const files: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

const distDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

// validatorUrl: null — Swagger UI would otherwise send the document to validator.swagger.io for a badge.
const initializer = `window.onload = () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
  });
};
`;

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Memory Mirror API</title>
  <link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${ASSETS}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${ASSETS}/swagger-ui-bundle.js"></script>
  <script src="${ASSETS}/initializer.js"></script>
</body>
</html>
`;

export function createDocsRoutes(): Hono<AppEnv> {
  const cache = new Map<string, Promise<Buffer>>();
  const docs = new Hono<AppEnv>();
  docs.get("/docs", (c) => c.html(page));
  // One route for every asset: a static path beside `:file` is a pattern Hono's RegExpRouter refuses, and the whole
  // app then falls back to its slower TrieRouter for every request (docs/performance.md).
  docs.get(`${ASSETS}/:file`, async (c) => {
    const name = c.req.param("file");
    if (name === "initializer.js")
      return c.body(initializer, 200, { "Content-Type": "text/javascript; charset=utf-8" });
    const type = files[name];
    if (!type) return c.json({ detail: "Not Found" }, 404);
    let content = cache.get(name);
    if (!content) {
      content = readFile(join(distDir, name));
      cache.set(name, content);
      content.catch(() => cache.delete(name));
    }
    // The files change only with the package version, which changes only with a deploy.
    return c.body(new Uint8Array(await content), 200, {
      "Content-Type": type,
      "Cache-Control": "public, max-age=3600",
    });
  });
  return docs;
}
