// The suite's system packages: Debian's Chromium (headless, WebGPU on SwiftShader) for the
// browser tests, and Debian's python3 with `regex` for the test that runs OpenAI's encoder.py.
// On a fresh Debian machine, as root, install them; otherwise say exactly what to install.
import fs from 'node:fs';
import { execSync, spawnSync } from 'node:child_process';

// libvulkan1: the Vulkan loader that the npm package `webgpu` (Dawn) needs to reach
// Chromium's SwiftShader ICD, for the WebGPU tests that run in Node.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VULKAN = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'];
const PACKAGES = 'chromium libvulkan1 python3-regex';
const hasRegex = () => spawnSync('/usr/bin/python3', ['-c', 'import regex']).status === 0;
if (fs.existsSync(CHROMIUM) && VULKAN.some((p) => fs.existsSync(p)) && hasRegex()) process.exit(0);

const isRoot = process.getuid?.() === 0;
const isDebian = fs.existsSync('/etc/debian_version');
if (isRoot && isDebian) {
  console.log(`Test dependencies missing: apt-get install -y ${PACKAGES} ...`);
  execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${PACKAGES}`, { stdio: 'inherit' });
  process.exit(0);
}
console.error(
  `The tests need Chromium at ${CHROMIUM}, libvulkan1 and /usr/bin/python3 with regex. Install them with:\n` +
  `  sudo apt-get install -y ${PACKAGES}      (Debian/Ubuntu)\n` +
  `or point CHROMIUM_PATH at a Chromium/Chrome binary with WebGPU.`,
);
process.exit(1);
