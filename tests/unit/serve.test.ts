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
});
