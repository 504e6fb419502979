import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createFolders, errorCode } from './folders.js';

/**
 * Writes `contents` to `path` so that readers get either the old file or the complete new one,
 * never a partial file. The data goes to a temporary file in the same directory, is flushed to
 * disk and is renamed over `path`, because rename is atomic within one file system on POSIX.
 *
 * Creates missing parent directories one level at a time (createFolders). On failure the
 * temporary file is removed and the error of the file system propagates; an existing file at
 * `path` is left as it was.
 */
export async function writeFileAtomic(path: string, contents: string | Uint8Array): Promise<void> {
  const directory = dirname(path);
  await createFolders(directory);
  const temporaryPath = join(directory, temporaryName(basename(path)));

  try {
    const handle = await open(temporaryPath, 'w');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

/**
 * Replaces the directory `path` by a new one whose files `write` creates, so that `path` contains
 * either the old complete directory or the new complete one.
 *
 * `write` fills a temporary sibling directory. Then the old directory, if any, is renamed aside,
 * the new one is renamed into place and the old one is deleted. A crash between the two renames
 * leaves the old directory under its temporary name next to `path`, not a half-written `path`.
 * On failure of `write` the temporary directory is removed and the error propagates.
 */
export async function replaceDirectoryAtomic(
  path: string,
  write: (temporaryDirectory: string) => Promise<void>,
): Promise<void> {
  const parent = dirname(path);
  await createFolders(parent);
  const temporaryDirectory = join(parent, temporaryName(basename(path)));
  const retiredDirectory = join(parent, temporaryName(`${basename(path)}.old`));

  try {
    await mkdir(temporaryDirectory);
    await write(temporaryDirectory);
  } catch (error) {
    await rm(temporaryDirectory, { recursive: true, force: true });
    throw error;
  }

  let retired = false;
  try {
    await rename(path, retiredDirectory);
    retired = true;
  } catch (error) {
    if (!isMissingFileError(error)) {
      await rm(temporaryDirectory, { recursive: true, force: true });
      throw error;
    }
  }

  await rename(temporaryDirectory, path);
  if (retired) {
    await rm(retiredDirectory, { recursive: true, force: true });
  }
}

function temporaryName(name: string): string {
  return `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function isMissingFileError(error: unknown): boolean {
  return errorCode(error) === 'ENOENT';
}
