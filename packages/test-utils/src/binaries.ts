import { accessSync, constants, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { TestUtilsError, TestUtilsErrorCode } from './errors.js'

/** Debian package that provides each server binary the tests run. */
const aptPackages: Record<string, string> = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-server',
  postgres: 'postgresql',
  initdb: 'postgresql',
  pdftotext: 'poppler-utils',
  pdftoppm: 'poppler-utils',
  'carbon-cache': 'graphite-carbon',
  'whisper-fetch': 'python3-whisper',
  mariadbd: 'mariadb-server',
  'mariadb-install-db': 'mariadb-server',
  dot: 'graphviz',
  chromium: 'chromium',
}

/** Debian keeps the server binaries of PostgreSQL out of PATH, one folder per major version. */
function postgresDirs(): string[] {
  const root = '/usr/lib/postgresql'
  try {
    return readdirSync(root)
      .filter((entry) => /^\d+$/.test(entry))
      .sort((a, b) => Number(b) - Number(a))
      .map((version) => join(root, version, 'bin'))
  } catch {
    return []
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Absolute path of an installed server binary. Integration tests never skip:
 * a missing binary throws a `TestUtilsError` (`ERR_TEST_UTILS_MISSING_BINARY`)
 * whose message names the Debian package to install.
 *
 * @example
 * const redisServer = requireBinary('redis-server') // '/usr/bin/redis-server'
 */
export function requireBinary(name: string): string {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  const extra = ['/usr/sbin', '/usr/local/sbin', '/sbin']
  const dirs = name === 'postgres' || name === 'initdb' ? [...postgresDirs(), ...pathDirs] : [...pathDirs, ...extra]
  for (const dir of dirs) {
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  const pkg = aptPackages[name] ?? name
  throw new TestUtilsError(
    `${name} is not installed; the integration tests need it: apt-get install -y ${pkg} (.ci/run installs it)`,
    { code: TestUtilsErrorCode.missingBinary },
  )
}
