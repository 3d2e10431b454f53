// The registry of our WebGPU kernels (src/lib/webgpu/registry.ts): what the self-check disables
// stays disabled until a new check, and the page's notice names the disabled kernels in one line.
import { afterEach, describe, expect, it } from 'vitest';
import { KERNEL_NAMES, disableKernel, enableAllKernels, kernelEnabled, kernelNotice, kernelStates } from '../../src/lib/webgpu/registry.ts';

describe('kernel registry', () => {
  afterEach(enableAllKernels);

  it('starts with every kernel enabled and no notice', () => {
    expect(kernelStates()).toEqual(KERNEL_NAMES.map((name) => ({ name, enabled: true, reason: null })));
    expect(kernelNotice()).toBeNull();
  });

  it('names one disabled kernel with its reason, and several with the first reason', () => {
    disableKernel('gelu_new', 'GPU error: Error while parsing WGSL');
    expect(kernelEnabled('gelu_new')).toBe(false);
    expect(kernelEnabled('layernorm')).toBe(true);
    expect(kernelNotice()).toBe('Kernel gelu_new failed its self-check on this device (GPU error: Error while parsing WGSL): using tfjs ops instead (slower, still right).');
    disableKernel('adamw', 'parameter differs from tfjs ops at element 3: 1 instead of 2');
    expect(kernelNotice()).toBe('Kernels gelu_new, adamw failed their self-check on this device (gelu_new: GPU error: Error while parsing WGSL): using tfjs ops instead (slower, still right).');
    enableAllKernels();
    expect(KERNEL_NAMES.every(kernelEnabled)).toBe(true);
    expect(kernelNotice()).toBeNull();
  });

  it('keeps the notice to one readable line when the reason is long', () => {
    disableKernel('dropout', `threw: ${'x'.repeat(500)}`);
    const notice = kernelNotice()!;
    expect(notice.length).toBeLessThan(300);
    expect(notice).toMatch(/^Kernel dropout failed its self-check on this device \(threw: x+\.\.\.\): using tfjs ops instead/);
  });
});
