import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

/** `pnpm dev` here: Vite on 5173 (VITE_PORT), the API calls proxied to a running server (MM_URL, default :3000). */
const api = process.env.MM_URL ?? "http://localhost:3000";

export default defineConfig({
  plugins: [react()],
  // The typed client (@memory-mirror/client) is bundled from its sources, like the types it imports: the build needs
  // no other package built.
  resolve: { conditions: ["@memory-mirror/source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Everything, the icon included, as hashed files: the server caches /assets/* for a year (no inline data: URLs).
    assetsInlineLimit: 0,
  },
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    strictPort: true,
    proxy: { "/trpc": api, "/api": api },
  },
});
