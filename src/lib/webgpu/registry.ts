// Which of our WebGPU kernels may run. Every kernel starts enabled; the start-up self-check
// (self-check.ts) disables one that disagrees with its tfjs-ops twin on this device or fails
// to compile, and each dispatch site (through programs.ts' webgpuKernels) then takes the ops
// path for the rest of the session: slower, still right.

/** Our kernels, one name per module of src/lib/webgpu. */
export const KERNEL_NAMES = ['layernorm', 'gelu_new', 'embedding', 'dropout', 'cross_entropy', 'adamw', 'rmsnorm', 'rope', 'swiglu'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

export interface KernelState {
  name: KernelName;
  enabled: boolean;
  /** Why the self-check disabled it; null while enabled. */
  reason: string | null;
}

const states = new Map<KernelName, KernelState>(KERNEL_NAMES.map((name) => [name, { name, enabled: true, reason: null }]));

export function kernelEnabled(name: KernelName): boolean {
  return states.get(name)!.enabled;
}

/** Sends `name`'s dispatch sites to the tfjs-ops path until enableAllKernels(). */
export function disableKernel(name: KernelName, reason: string): void {
  states.set(name, { name, enabled: false, reason });
}

/** Every kernel enabled again (a new device is checked afresh). */
export function enableAllKernels(): void {
  for (const name of KERNEL_NAMES) states.set(name, { name, enabled: true, reason: null });
}

export function kernelStates(): KernelState[] {
  return KERNEL_NAMES.map((name) => ({ ...states.get(name)! }));
}

/** One line for the page naming the disabled kernels; null when all are enabled. */
export function kernelNotice(): string | null {
  const off = kernelStates().filter((s) => !s.enabled);
  if (off.length === 0) return null;
  const names = off.map((s) => s.name).join(', ');
  const first = off[0].reason ?? '';
  const why = first ? ` (${off.length > 1 ? `${off[0].name}: ` : ''}${first.length > 160 ? `${first.slice(0, 157)}...` : first})` : '';
  return off.length === 1
    ? `Kernel ${names} failed its self-check on this device${why}: using tfjs ops instead (slower, still right).`
    : `Kernels ${names} failed their self-check on this device${why}: using tfjs ops instead (slower, still right).`;
}
