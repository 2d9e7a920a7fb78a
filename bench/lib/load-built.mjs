/**
 * Imports a workspace package for a scenario, failing with what to do when it is not built:
 * the benchmarks measure the built packages (dist/), as users run them.
 */
export async function loadBuilt(name) {
  try {
    return await import(name)
  } catch (error) {
    throw new Error(`${name} does not load (${error.message}): run \`pnpm turbo run build\` first`)
  }
}
