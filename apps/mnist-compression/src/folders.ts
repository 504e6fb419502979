import { mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** A path that must be a folder is an existing file or other non-directory. */
export class NotADirectoryError extends Error {
  readonly code = 'ENOTDIR';

  constructor(readonly path: string) {
    super(`${path} is not a directory.`);
    this.name = 'NotADirectoryError';
  }
}

/**
 * Creates `folder` and its missing ancestors, one level at a time with non-recursive mkdir, and
 * returns the folders it created, outermost first (none when `folder` already exists).
 *
 * NOTE: not mkdir(path, { recursive: true }): on Node 20 it never returns for a path under /proc,
 * where mkdir fails with ENOENT although the parent exists. A single non-recursive mkdir fails at
 * once.
 *
 * On failure the folders created so far are removed again and the file system's error
 * propagates; an existing non-directory on the path gives NotADirectoryError. `makeDirectory`
 * replaces the non-recursive mkdir, for tests that need a level to fail.
 */
export async function createFolders(folder: string, makeDirectory: (path: string) => Promise<unknown> = (path) => mkdir(path)): Promise<string[]> {
  const missing: string[] = [];
  let candidate = resolve(folder);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(candidate)).isDirectory();
    } catch (error) {
      const code = errorCode(error);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(candidate) !== candidate) {
        missing.unshift(candidate);
        candidate = dirname(candidate);
        continue;
      }
      throw error;
    }
    if (!isDirectory) {
      throw new NotADirectoryError(candidate);
    }
    break;
  }

  const created: string[] = [];
  try {
    for (const path of missing) {
      try {
        await makeDirectory(path);
        created.push(path);
      } catch (error) {
        // Another writer may have created it in the meantime.
        if (errorCode(error) !== 'EEXIST' || !(await stat(path)).isDirectory()) {
          throw error;
        }
      }
    }
  } catch (error) {
    await removeFolders(created);
    throw error;
  }
  return created;
}

/**
 * Removes `folders` (as returned by createFolders) innermost first, each only if it is empty.
 * Best effort: a folder that cannot be removed is left, because this runs while another error
 * is being reported or after a check whose result does not depend on it.
 */
export async function removeFolders(folders: readonly string[]): Promise<void> {
  for (const folder of [...folders].reverse()) {
    try {
      await rmdir(folder);
    } catch {
      return;
    }
  }
}

/** Returns the `code` of a Node file-system error, or undefined for other values. */
export function errorCode(error: unknown): string | undefined {
  // NOTE: no instanceof Error check: errors of Node's fs can come from another realm (jest's sandbox).
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
}
