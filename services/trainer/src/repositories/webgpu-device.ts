import * as tf from '@tensorflow/tfjs';

/** The adapter a WebGPU backend runs on, as Dawn reports it. */
export interface GpuAdapterInfo {
  readonly vendor: string;
  readonly device: string;
  readonly description: string;
  /** Dawn's API underneath: vulkan for a GPU, opengles for the GLES fallback (e.g. Mesa). */
  readonly api: 'vulkan' | 'opengles';
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader) or a fallback adapter: WebGPU, but no GPU. */
  readonly software: boolean;
}

export interface OpenedWebGpu {
  readonly adapter: GpuAdapterInfo;
  /** The largest buffer a kernel can bind: bigger tensors cannot live on the device. */
  readonly maxBufferBytes: number;
}

const SOFTWARE_RENDERERS = /llvmpipe|lavapipe|softpipe|swiftshader/i;

export function describeAdapter(a: GpuAdapterInfo): string {
  return `${a.vendor || 'unknown vendor'} ${a.device || 'unknown device'} via ${a.api}${a.software ? ', software' : ''}`;
}

/**
 * Opens a GPU through Dawn (the `webgpu` package) and registers tfjs's WebGPU backend on it. Dawn
 * tries Vulkan first; where no Vulkan driver answers, its OpenGL ES backend in WebGPU's
 * compatibility mode (Mesa's EGL, surfaceless, needs no display). A software adapter is refused
 * unless `acceptSoftware`: it is slower than wasm on the same cores and is only worth it to test
 * the WebGPU path without a GPU.
 */
export async function openWebGpu(options: { acceptSoftware: boolean }): Promise<OpenedWebGpu> {
  const { create, globals } = (await import('webgpu')) as unknown as DawnModule;
  Object.assign(globalThis, globals);
  const attempts: Array<{ api: GpuAdapterInfo['api']; flags: string[]; request: Record<string, string> }> = [
    { api: 'vulkan', flags: [], request: { powerPreference: 'high-performance' } },
    { api: 'opengles', flags: ['backend=opengles'], request: { featureLevel: 'compatibility' } },
  ];
  const seen: string[] = [];
  for (const attempt of attempts) {
    // Mesa's EGL reads this when Dawn opens the display; surfaceless needs neither X nor Wayland.
    if (attempt.api === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
    const gpu = create(attempt.flags);
    const adapter = await gpu.requestAdapter(attempt.request);
    if (!adapter) {
      seen.push(`no ${attempt.api} adapter`);
      continue;
    }
    const info = adapter.info;
    const described: GpuAdapterInfo = {
      vendor: info.vendor,
      device: info.device,
      description: info.description,
      api: attempt.api,
      software:
        info.isFallbackAdapter === true || SOFTWARE_RENDERERS.test(`${info.device} ${info.description}`),
    };
    if (described.software && !options.acceptSoftware) {
      seen.push(`only a software adapter (${describeAdapter(described)})`);
      continue;
    }
    const limits = adapter.limits;
    const requiredLimits: Record<string, number> = {};
    // tfjs packs up to this many inputs into one kernel (AddN), and tiles matmuls by these limits.
    for (const key of LIMITS_TFJS_NEEDS) requiredLimits[key] = limits[key] as number;
    const device = await adapter.requestDevice({ requiredLimits });
    void device.lost.then((lost: { message: string }) =>
      console.error(`the WebGPU device was lost: ${lost.message}`),
    );
    // tfjs-webgpu checks navigator.gpu when its backend is constructed.
    Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device as never, info as never), 3);
    return {
      adapter: described,
      maxBufferBytes: Math.min(limits.maxStorageBufferBindingSize as number, limits.maxBufferSize as number),
    };
  }
  throw new Error(seen.join('; '));
}

const LIMITS_TFJS_NEEDS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const;

interface DawnAdapter {
  readonly info: { vendor: string; device: string; description: string; isFallbackAdapter?: boolean };
  readonly limits: Record<string, number | undefined>;
  requestDevice(descriptor: object): Promise<{ lost: Promise<{ message: string }> }>;
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(options: object): Promise<DawnAdapter | null> };
  globals: Record<string, unknown>;
}
