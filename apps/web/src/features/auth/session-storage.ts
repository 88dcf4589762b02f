import type { Credentials } from "../../lib/api-client.ts";

const KEY = "memory-mirror.session";

/** The tab's session (sessionStorage) unless the person asked to be remembered on this device (localStorage). */
export function loadSession(): Credentials | null {
  const raw = sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<Credentials>;
    return { apiKey: value.apiKey ?? null, space: value.space ?? null };
  } catch {
    return null;
  }
}

export function saveSession(credentials: Credentials, remember: boolean): void {
  clearSession();
  (remember ? localStorage : sessionStorage).setItem(KEY, JSON.stringify(credentials));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}
