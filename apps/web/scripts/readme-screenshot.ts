/**
 * Regenerates the README's picture of the web app (docs/images/web-app.png): the app built from the current sources,
 * served by a real server over a fresh embedded database holding a few memories, photographed in Chromium.
 * Run: pnpm --filter @memory-mirror/web screenshot
 */
import { rm } from "node:fs/promises";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { startTestServer } from "@memory-mirror/server/testing";
import { buildApp } from "../test/build-app.ts";
import { launchChromium } from "@memory-mirror/server/testing-chromium";
import { settled } from "../test/session.ts";

const output = fileURLToPath(new URL("../../../docs/images/web-app.png", import.meta.url));

const MEMORIES = [
  [
    "birthday-cake",
    "Baking a chocolate cake with Mia for her seventh birthday; she cracks the eggs.",
    ["family", "cooking"],
  ],
  [
    "garden-tomatoes",
    "Planting tomatoes in the garden on a sunny morning, the cat watching from the fence.",
    ["garden"],
  ],
  ["beach-walk", "A windy walk on the beach at low tide; collecting shells in a red bucket.", ["family", "outdoors"]],
  ["piano-practice", "Practising the first bars of a Chopin nocturne, slowly, twice.", ["music"]],
] as const;

const webDir = await buildApp();
const server = await startTestServer("embedded", { auth: "off" }, { webDir });
const browser = await launchChromium();
try {
  const api = createMemoryMirrorClient({ url: server.url });
  for (const [videoId, description, tags] of MEMORIES) {
    await api.videoAnalysis.create.mutate({ videoId, description, tags: [...tags] });
  }
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 }, colorScheme: "light" });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.getByRole("button", { name: "Continue without a key" }).click();
  await page.getByRole("link", { name: "garden-tomatoes" }).waitFor();
  await settled(page);
  mkdirSync(fileURLToPath(new URL(".", `file://${output}`)), { recursive: true });
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  await server.close();
  await rm(webDir, { recursive: true, force: true });
}
