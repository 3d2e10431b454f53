// WebGPU programs of our own for tfjs' WebGPU backend, run through its runWebGPUProgram (which
// declares the inputs as NAME[i], the output `result`, the uniforms, and splits a dispatch wider
// than 65,535 workgroups). Used where tfjs would take many dispatches for one step of arithmetic
// (AdamW, GELU, the gradient norm) or draw data in JavaScript (dropout masks): on a real GPU a
// training step is bound by the CPU cost of each dispatch, not by the GPU.
import * as tf from '@tensorflow/tfjs';
import { kernelEnabled, type KernelName } from './registry.ts';

export interface Uniform {
  name: string;
  type: 'f32' | 'u32' | 'i32';
  value: number;
}

export interface ProgramSpec {
  key: string; // names the shader in tfjs' pipeline cache: one key per distinct code
  inputs: Record<string, tf.TensorInfo>;
  shape: number[]; // of the output
  uniforms?: Uniform[];
  /** WGSL with `fn main(index : i32)`; `uniforms.size` is the output's size. */
  code: string;
  workgroupSize?: number; // default 128
  workgroups?: number; // default: one thread per output element
  dtype?: 'float32' | 'int32'; // of the output; default float32
}

interface WebGPUBackendLike {
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: { type: string; data: number[] }[]): tf.TensorInfo;
}

const GPU_TYPE = { f32: 'float32', u32: 'uint32', i32: 'int32' } as const;

export function runProgram(backend: unknown, spec: ProgramSpec): tf.TensorInfo {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const wg = spec.workgroupSize ?? 128;
  const uniforms = spec.uniforms ?? [];
  const program = {
    variableNames: Object.keys(spec.inputs),
    outputShape: spec.shape,
    shaderKey: `tweetforge_${spec.key}`,
    dispatchLayout: { x: spec.shape.map((_, i) => i) },
    dispatch: [spec.workgroups ?? Math.ceil(size / wg), 1, 1],
    workgroupSize: [wg, 1, 1],
    size: true,
    uniforms: uniforms.map((u) => `${u.name} : ${u.type},`).join(' '),
    getUserCode: () => spec.code,
  };
  const data = uniforms.map((u) => ({ type: GPU_TYPE[u.type], data: [u.value] }));
  return (backend as WebGPUBackendLike).runWebGPUProgram(program, Object.values(spec.inputs), spec.dtype ?? 'float32', data);
}

/** WGSL for `body` run once per output element (`index`), writing with setOutputAtIndex. */
export function elementwise(body: string, helpers = ''): string {
  return `${helpers}
    fn main(index : i32) {
      if (index < uniforms.size) {
        ${body}
      }
    }`;
}

/**
 * WGSL for `fn NAME(lane : i32, v : TYPE) -> TYPE`: the sum or max of v over a workgroup of
 * `lanes` lanes, by a tree in workgroup memory; every lane gets the result. With `stride` > 1,
 * over the lanes that share `lane % stride` only (the tree stops at stride): a workgroup laid
 * out as rows of `stride` columns reduces each column. Every lane must call it (it waits at
 * barriers), from control flow that is the same for the whole workgroup.
 */
export function laneReduction(name: string, lanes: number, type: 'f32' | 'vec2<f32>', op: 'sum' | 'max', stride = 1): string {
  const a = `${name}Lanes[lane]`;
  const b = `${name}Lanes[lane + s]`;
  return `
  var<workgroup> ${name}Lanes : array<${type}, ${lanes}>;
  fn ${name}(lane : i32, v : ${type}) -> ${type} {
    ${a} = v;
    workgroupBarrier();
    for (var s = ${lanes / 2}; s >= ${stride}; s = s / 2) {
      if (lane < s) {
        ${a} = ${op === 'sum' ? `${a} + ${b}` : `max(${a}, ${b})`};
      }
      workgroupBarrier();
    }
    let r = ${name}Lanes[lane % ${stride}];
    workgroupBarrier(); // the next call writes the lanes again
    return r;
  }`;
}

/** Runs a registered kernel (one of ours) through the engine, so autodiff records it. */
export function runKernel<T extends tf.Tensor = tf.Tensor>(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): T {
  return tf.engine().runKernel(kernelName, inputs, attrs) as T;
}

/** Registers `kernelName` on the WebGPU backend once (tfjs warns on a second registration). */
export function registerWebGPUKernel(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (!tf.getKernel(kernelName, 'webgpu')) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
}

/**
 * The check a module of our kernels runs before using them: true when tfjs runs on WebGPU now
 * and the registry has `name` enabled (the self-check did not disable it), and then, the first
 * time only, `register` (the module's kernels and gradients) runs.
 */
export function webgpuKernels(name: KernelName, register: () => void): () => boolean {
  let registered = false;
  return () => {
    if (tf.getBackend() !== 'webgpu' || !kernelEnabled(name)) return false;
    if (!registered) {
      registered = true;
      register();
    }
    return true;
  };
}
