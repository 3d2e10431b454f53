// `npm start`'s static server (scripts/serve.mjs, also the browser tests' server): it serves
// files under its folders only (by their real paths), and a bad request, or a file that
// vanishes while it is served, gets an answer instead of stopping it.
import { spawn } from 'node:child_process';
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
  fs.symlinkSync(path.join(base, 'dist-private', 'secret.txt'), path.join(base, 'dist', 'out.txt'));
  fs.symlinkSync('../dist-private', path.join(base, 'dist', 'out-dir'));
  fs.symlinkSync('index.html', path.join(base, 'dist', 'alias.html'));
  fs.symlinkSync('dist', path.join(base, 'dist-link'));
  server = await startServer({ dir: path.join(base, 'dist') });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(base, { recursive: true, force: true });
});

/** A raw request line, as a browser or a script may send it (fetch would normalise the path). */
async function get(rawPath: string, url = server.url): Promise<{ status: number; body: string; length?: string }> {
  const { port } = new URL(url);
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: rawPath }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, length: res.headers['content-length'] }));
    }).on('error', reject);
  });
}

describe('serve.mjs', () => {
  it("serves the app with index.html's content security policy, framed by no one and never sniffed", async () => {
    for (const p of ['', 'missing.js']) {
      const res = await fetch(server.url + p);
      expect(res.status, p).toBe(p ? 404 : 200);
      // frame-ancestors only works from a header (a <meta> policy cannot carry it): the server adds it.
      expect(res.headers.get('content-security-policy'), p).toBe("default-src 'self'; frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options'), p).toBe('nosniff');
      if (!p) expect(await res.text()).toContain('hello');
    }
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

  it('follows no symlink out of its folder, and serves one that stays inside', async () => {
    for (const p of ['/out.txt', '/out-dir/secret.txt']) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.body, p).not.toContain('secret');
    }
    expect(await get('/alias.html')).toMatchObject({ status: 200, body: expect.stringContaining('hello') });
    // A root reached through a symlink is judged by its real path, so its files are served.
    const linked = await startServer({ dir: path.join(base, 'dist-link') });
    try {
      expect(await get('/', linked.url)).toMatchObject({ status: 200, body: expect.stringContaining('hello') });
      expect((await get('/out.txt', linked.url)).status).toBe(404);
    } finally {
      await linked.close();
    }
  });

  it('keeps answering 200 or 404 while a file is deleted and recreated under load', async () => {
    const file = path.join(base, 'dist', 'churn.txt');
    const content = 'x'.repeat(64 * 1024);
    // Another process churns the file, so its unlinks land between any two steps of a request.
    const churn = spawn(process.execPath, ['-e', `
      const fs = require('node:fs'); const [file, content] = [process.argv[1], 'x'.repeat(65536)];
      const end = Date.now() + 2500;
      while (Date.now() < end) { try { fs.unlinkSync(file); } catch {} fs.writeFileSync(file, content); }`, file]);
    const done = new Promise((r) => churn.on('exit', r));
    let running = true;
    void done.then(() => (running = false));
    const seen: Record<number, number> = {};
    const bad: string[] = [];
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (running) {
        const res = await get('/churn.txt');
        seen[res.status] = (seen[res.status] ?? 0) + 1;
        // A 200 is the file as it was when opened: whole, or as far as it was written then.
        if (res.status === 200 && (!content.startsWith(res.body) || res.body.length !== Number(res.length))) bad.push(`${res.body.length} of ${res.length}`);
      }
    }));
    await done;
    expect(Object.keys(seen).sort(), JSON.stringify(seen)).toEqual(['200', '404']);
    expect(bad).toEqual([]);
    expect((await get('/')).status).toBe(200);
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
