/**
 * Side-effect entry: importing it loads the tfjs wasm backend and registers the kernels that
 * convolution training needs there (see registerWasmConvTraining).
 */
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvTraining } from './wasm-conv-training.js';

registerWasmConvTraining();
