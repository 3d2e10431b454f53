import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Two projects: fast logic tests in Node, and browser tests that drive Debian's
// headless Chromium (WebGPU on SwiftShader) against the built app on localhost.
export default defineConfig({
  test: {
    projects: [
      {
        // Svelte's compiler turns the runes of the page's *.svelte.ts state classes into code.
        plugins: [svelte()],
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/browser/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          // One Chromium at a time: the machine has 2 cores and SwiftShader is heavy.
          fileParallelism: false,
        },
      },
    ],
  },
});
