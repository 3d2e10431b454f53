// `npm start`'s static server (scripts/serve.mjs, also the browser tests' server): it serves
// files under its folders only, and a bad request gets an answer instead of stopping it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { startServer } from '../../scripts/serve.mjs';

let server: { url: string; close: () => Promise<void> };
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-'));

beforeAll(async () => {
  fs.mkdirSync(path.join(base, 'dist'));
  fs.mkdirSync(path.join(base, 'dist-private'));
  fs.writeFileSync(path.join(base, 'dist', 'index.html'), '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">hello');
  fs.writeFileSync(path.join(base, 'dist-private', 'secret.txt'), 'secret');
  server = await startServer({ dir: path.join(base, 'dist') });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(base, { recursive: true, force: true });
});

/** A raw request line, as a browser or a script may send it (fetch would normalise the path). */
async function get(rawPath: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: rawPath }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('serve.mjs', () => {
  it('serves the app with its content security policy', async () => {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(await res.text()).toContain('hello');
  });

  it('answers a malformed URL with 400 and keeps serving', async () => {
    expect(await get('/%%%/config.json')).toEqual({ status: 400, body: 'bad request: malformed URL' });
    expect((await get('/')).status).toBe(200);
  });

  it('serves nothing outside its folder, even from a sibling whose name it starts', async () => {
    for (const p of ['/../dist-private/secret.txt', '/%2e%2e/dist-private/secret.txt', '/..%2fdist-private%2fsecret.txt']) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.body, p).not.toContain('secret');
    }
  });

  it('npm start takes the next port when 8080 is taken, and says so when a port asked for is', async () => {
    const http = await import('node:http');
    const { spawnSync } = await import('node:child_process');
    // 8080 taken: by this test, or already by something else on this machine.
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.once('error', () => resolve()).listen(8080, '127.0.0.1', () => resolve()));
    try {
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['scripts/serve.mjs', '--dir', path.join(base, 'dist'), ...args], { encoding: 'utf8', timeout: 3000, env: { ...process.env, PORT: '' } });
      const fallback = run([]); // runs until the timeout stops it
      expect(fallback.stdout).toMatch(/^tweetforge is served at http:\/\/localhost:(808[1-9])\/ /);
      const asked = run(['--port', '8080']);
      expect(asked.status).toBe(1);
      expect(asked.stderr.trim()).toBe('Port 8080 is in use: stop what uses it, or choose another with PORT=N npm start (or --port N).');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
