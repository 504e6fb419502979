import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceDirectoryAtomic, writeFileAtomic } from '../src/atomic-write.js';

describe('writeFileAtomic', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'atomic-write-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('creates missing parent folders', async () => {
    const path = join(folder, 'a', 'b', 'results.json');
    await writeFileAtomic(path, '{}');
    expect(await readFile(path, 'utf8')).toBe('{}');
  });

  it('replaces an existing file', async () => {
    const path = join(folder, 'results.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
  });

  it('leaves no temporary files', async () => {
    await writeFileAtomic(join(folder, 'chart.svg'), '<svg/>');
    expect(await readdir(folder)).toEqual(['chart.svg']);
  });

  it('cleans up after a failed rename', async () => {
    const target = join(folder, 'taken');
    await mkdir(join(target, 'inner'), { recursive: true });
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(folder)).toEqual(['taken']);
  });
});

describe('replaceDirectoryAtomic', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'atomic-directory-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('creates a new folder', async () => {
    const target = join(folder, 'model');
    await replaceDirectoryAtomic(target, (temporary) => writeFile(join(temporary, 'model.json'), '{"v":1}'));
    expect(await readFile(join(target, 'model.json'), 'utf8')).toBe('{"v":1}');
  });

  it('replaces the old folder whole', async () => {
    const target = join(folder, 'model');
    await mkdir(target);
    await writeFile(join(target, 'stale.bin'), 'x');
    await replaceDirectoryAtomic(target, (temporary) => writeFile(join(temporary, 'model.json'), '{}'));
    expect(await readdir(target)).toEqual(['model.json']);
  });

  it('keeps the old folder when writing fails', async () => {
    const target = join(folder, 'model');
    await mkdir(target);
    await writeFile(join(target, 'model.json'), 'old');
    await expect(replaceDirectoryAtomic(target, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    expect(await readFile(join(target, 'model.json'), 'utf8')).toBe('old');
  });

  it('leaves no temporary folders', async () => {
    const target = join(folder, 'model');
    await replaceDirectoryAtomic(target, (temporary) => writeFile(join(temporary, 'a'), ''));
    await replaceDirectoryAtomic(target, (temporary) => writeFile(join(temporary, 'b'), ''));
    expect(await readdir(folder)).toEqual(['model']);
  });
});
