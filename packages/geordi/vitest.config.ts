import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@intro/source'] },
  ssr: { resolve: { conditions: ['@intro/source'] } },
  test: { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks', globalSetup: ['test/global-setup.ts'] },
})
