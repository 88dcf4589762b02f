// After `pnpm build`: what production runs, with no tsx and no source condition. Workspace packages resolve to
// dist/ for a plain consumer, the server starts from dist/ (migrations and Swagger UI files found from there), the
// `mm` bin runs the built CLI against it, and SIGTERM stops it cleanly.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { NODE_OPTIONS: _, ...env } = process.env; // no --conditions from outside
let server;
const fail = (message) => {
  console.error(`smoke-dist: ${message}`);
  server?.kill("SIGTERM");
  process.exit(1);
};

// A plain consumer (no custom condition) gets dist/ JavaScript.
for (const [dir, specifiers] of [
  ["apps/server", ["@memory-mirror/db", "@memory-mirror/db/testing", "@memory-mirror/api"]],
  ["apps/cli", ["@memory-mirror/client", "@memory-mirror/server", "@memory-mirror/server/testing"]],
]) {
  const code = `for (const s of ${JSON.stringify(specifiers)}) { await import(s); console.log(import.meta.resolve(s)); }`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    cwd: `${root}/${dir}`,
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) fail(`importing ${specifiers.join(", ")} from ${dir} failed:\n${r.stderr}`);
  for (const url of r.stdout.trim().split("\n")) if (!/\/dist\/[^/]+\.js$/.test(url)) fail(`${url} is not in dist/`);
}

server = spawn(process.execPath, ["apps/server/dist/main.js"], {
  cwd: root,
  env: { ...env, DATABASE_URL: "memory:", PORT: "0", LOG_LEVEL: "info" },
  stdio: ["ignore", "pipe", "inherit"],
});
let logs = "";
const url = await new Promise((resolve, reject) => {
  server.stdout.setEncoding("utf8").on("data", (chunk) => {
    logs += chunk;
    const line = logs.split("\n").find((l) => l.includes("Memory Mirror listening"));
    if (line) resolve(JSON.parse(line).url);
  });
  server.once("exit", (code) => reject(new Error(`the server exited with ${code}:\n${logs}`)));
  setTimeout(() => reject(new Error(`the server did not listen within 60 s:\n${logs}`)), 60_000).unref();
}).catch((error) => fail(error.message));

try {
  for (const path of ["/readyz", "/docs", "/docs/assets/swagger-ui-bundle.js", "/openapi.json"]) {
    const response = await fetch(url + path);
    if (response.status !== 200) fail(`GET ${path} answered ${response.status}`);
  }
  const mm = (...args) =>
    spawnSync(process.execPath, ["apps/cli/bin/mm.js", ...args], {
      cwd: root,
      env: { ...env, MM_URL: url },
      encoding: "utf8",
    });
  const put = mm("put", "smoke", "built and running");
  if (put.status !== 0) fail(`mm put: ${put.status} ${put.stderr}`);
  const get = mm("get", "smoke");
  if (get.stdout !== "built and running\n") fail(`mm get: ${get.status} ${JSON.stringify(get.stdout)} ${get.stderr}`);
} finally {
  server.kill("SIGTERM");
}
const [code] = await once(server, "exit");
if (code !== 0) fail(`the server exited with ${code} on SIGTERM`);
console.log(`smoke-dist: ok (dist/ server at ${url}, mm bin, plain-consumer resolution)`);
