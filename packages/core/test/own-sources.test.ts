import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { packageOf, registerOwnSource, sourceKind } from '../src/index.js'

describe('sourceKind', () => {
  it("tells the app's files from libraries, Node's own and the toolkit's", () => {
    expect(sourceKind('/srv/app/routes/orders.js')).toBe('app')
    expect(sourceKind('file:///srv/app/routes/orders.mjs')).toBe('app')
    expect(sourceKind('/srv/app/node_modules/express/lib/router/index.js')).toBe('library')
    expect(sourceKind('/srv/app/node_modules/.pnpm/pg@8.16.0/node_modules/pg/lib/client.js')).toBe('library')
    expect(sourceKind('/srv/app/node_modules/@intro/core/dist/operations.js')).toBe('intro')
    expect(sourceKind('node:internal/process/task_queues')).toBe('node')
    expect(sourceKind('<anonymous>')).toBe('node')
    // Core's own source directory, wherever it is installed (here: the workspace).
    expect(sourceKind(fileURLToPath(new URL('../src/operations.ts', import.meta.url)))).toBe('intro')
    // Its tests, beside src/, are app code.
    expect(sourceKind(fileURLToPath(import.meta.url))).toBe('app')
  })

  it('counts a registered directory as the toolkit’s own', () => {
    const dir = new URL('./fixtures/', import.meta.url)
    expect(sourceKind(fileURLToPath(new URL('require-core.cjs', dir)))).toBe('app')
    registerOwnSource(new URL('require-core.cjs', dir).href)
    expect(sourceKind(fileURLToPath(new URL('require-core.cjs', dir)))).toBe('intro')
  })
})

describe('packageOf', () => {
  it('names the package of a node_modules path, scoped or not, through pnpm’s store', () => {
    expect(packageOf('/a/node_modules/.pnpm/router@2.2.0/node_modules/router/index.js')).toBe('router')
    expect(packageOf('/a/node_modules/@prisma/client/runtime/library.js')).toBe('@prisma/client')
    expect(packageOf('/a/src/app.js')).toBeUndefined()
  })
})
