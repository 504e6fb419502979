import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolders, NotADirectoryError } from '../src/folders.js';

describe('createFolders', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'folders-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('creates every missing level', async () => {
    const target = join(folder, 'a', 'b', 'c');
    await createFolders(target);
    expect((await stat(target)).isDirectory()).toBe(true);
  });

  it('returns the created folders outermost first', async () => {
    await mkdir(join(folder, 'a'));
    expect(await createFolders(join(folder, 'a', 'b', 'c'))).toEqual([join(folder, 'a', 'b'), join(folder, 'a', 'b', 'c')]);
  });

  it('creates nothing for an existing folder', async () => {
    expect(await createFolders(folder)).toEqual([]);
  });

  it('rejects a file on the path', async () => {
    await writeFile(join(folder, 'file'), '');
    await expect(createFolders(join(folder, 'file', 'a'))).rejects.toBeInstanceOf(NotADirectoryError);
  });

  it('removes its folders when a level fails', async () => {
    const failing = join(folder, 'a', 'b', 'c');
    const makeDirectory = async (path: string): Promise<void> => {
      if (path === failing) {
        throw Object.assign(new Error(`EACCES: mkdir ${path}`), { code: 'EACCES', syscall: 'mkdir', path });
      }
      await mkdir(path);
    };
    await expect(createFolders(failing, makeDirectory)).rejects.toThrow('EACCES');
    expect(await readdir(folder)).toEqual([]);
  });
});
