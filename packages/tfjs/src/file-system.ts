import type * as NodeFileSystemModule from 'node:fs/promises';
import type * as NodePathModule from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, UnsupportedError } from '@factorized/core';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/**
 * Creates a TensorFlow.js IO handler that saves a model to, and loads it from, the local file
 * system in Node, in the format of tfjs-node's `file://` handler: `model.json` (topology and
 * weights manifest) and `weights.bin` (all weights in one shard).
 *
 * `path` is a directory, created on save if missing, or the path of a `.json` file, in which
 * case `weights.bin` sits next to it. Loading reads every shard that the manifest lists,
 * relative to the JSON file.
 *
 * Node's file modules are imported when `save` or `load` runs, not when this module is
 * imported, so bundles for browsers that never call this function need no Node shims.
 * Errors of the file system (a missing file, say) propagate as Node reports them, with the path.
 */
export function fileSystem(path: string): tf.io.IOHandler {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError('path', path, 'a non-empty directory path or .json file path');
  }

  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new UnsupportedError(
          'fileSystem saves layers models only, not supported yet, got a binary (graph model) topology.',
        );
      }

      const { fs, nodePath } = await importNodeModules();
      const { modelPath, directory } = resolvePaths(nodePath, path);
      await fs.mkdir(directory, { recursive: true });

      const weightsManifest: tf.io.WeightsManifestConfig = [
        { paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] },
      ];
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest,
      };
      if (artifacts.trainingConfig !== undefined) {
        modelJson.trainingConfig = artifacts.trainingConfig;
      }
      if (artifacts.signature !== undefined) {
        modelJson.signature = artifacts.signature;
      }
      if (artifacts.userDefinedMetadata !== undefined) {
        modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      }
      if (artifacts.modelInitializer !== undefined) {
        modelJson.modelInitializer = artifacts.modelInitializer;
      }
      if (artifacts.initializerSignature !== undefined) {
        modelJson.initializerSignature = artifacts.initializerSignature;
      }

      const weightData =
        artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      await fs.writeFile(nodePath.join(directory, WEIGHTS_FILE), new Uint8Array(weightData));
      await fs.writeFile(modelPath, JSON.stringify(modelJson));

      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const { fs, nodePath } = await importNodeModules();
      const { modelPath, directory } = resolvePaths(nodePath, path);
      const modelJson = JSON.parse(await fs.readFile(modelPath, 'utf8')) as tf.io.ModelJSON;

      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const shards: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const shardPath of group.paths) {
            const bytes = await fs.readFile(nodePath.join(directory, shardPath));
            shards.push(new Uint8Array(bytes).buffer);
          }
        }
        return [tf.io.getWeightSpecs(manifest), tf.io.CompositeArrayBuffer.join(shards)];
      });
    },
  };
}

type NodeFileSystem = typeof NodeFileSystemModule;
type NodePath = typeof NodePathModule;

async function importNodeModules(): Promise<{ fs: NodeFileSystem; nodePath: NodePath }> {
  const [fs, nodePath] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  return { fs, nodePath };
}

function resolvePaths(nodePath: NodePath, path: string): { modelPath: string; directory: string } {
  if (path.endsWith('.json')) {
    return { modelPath: path, directory: nodePath.dirname(path) };
  }
  return { modelPath: nodePath.join(path, MODEL_FILE), directory: path };
}
