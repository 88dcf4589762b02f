import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from "playwright-core";

export const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
mkdirSync(ARTIFACTS, { recursive: true });

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** A browser context that records what would break the app's promises: requests elsewhere, CSP refusals, errors. */
export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Requests to any host but this machine. */
  external: string[];
  /** Uncaught errors and console lines about the Content Security Policy. */
  errors: string[];
}

export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const external: string[] = [];
  const errors: string[] = [];
  context.on("request", (request) => {
    const { protocol, hostname } = new URL(request.url());
    if (protocol !== "data:" && protocol !== "blob:" && !LOCAL_HOSTS.has(hostname)) external.push(request.url());
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) errors.push(message.text());
  });
  return { context, page, external, errors };
}

/** Signs in through the form, as a person does, and waits for the memories page. */
export async function signIn(page: Page, url: string, apiKey: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("API key").fill(apiKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Memories" }).waitFor();
}

/**
 * Waits until the page shows what it loads (nothing marked busy). Not "networkidle": the live-changes stream keeps a
 * request open for as long as the page is.
 */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector("main h1") && !document.querySelector('[aria-busy="true"]'));
}

/** The memories page's cards, found as a person's screen reader does: the list by its name, each memory an article. */
export const memoryCards = (page: Page): Locator =>
  page.getByRole("list", { name: "Memories, newest first" }).getByRole("article");

/** Each card's title: the video id, followed by its "New" or "Changed" mark while it has one. */
export const memoryTitles = (page: Page): Locator => memoryCards(page).getByRole("heading", { level: 2 });
