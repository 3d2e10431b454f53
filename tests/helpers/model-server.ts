// What the tiny-qwen2 session tests share: model folders served over HTTP as a Hub-like host
// (a missing file is a 404), and two accounts of Japanese, English and emoji tweets (Qwen's
// byte-level BPE cuts some of their characters across tokens).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/** Serves `/NAME/FILE` from folders[NAME]; resolves with the server and its base URL (ending in '/'). */
export async function serveModelFolders(folders: Readonly<Record<string, string>>): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer((req, res) => {
    const [, folder, file = ''] = req.url!.split('/');
    const dir = Object.hasOwn(folders, folder) ? folders[folder] : undefined;
    const p = dir && file && !file.startsWith('.') ? path.join(dir, file) : '';
    if (!p || !fs.existsSync(p)) return void res.writeHead(404, { connection: 'close' }).end('not found');
    const body = fs.readFileSync(p);
    res.writeHead(200, { 'content-length': body.length, connection: 'close' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

export const MIXED_TWEETS = [
  '今日は天気がいいので散歩に行きました',
  'ブラウザで言語モデルを学習させてみた 🚀',
  'my coffee is cold and the river is warm today',
  '借金の話はもうしない、と決めた日の夜',
  'training a tiny model in a browser tab 🍣🍜',
  '明日の朝は早いので、もう寝ます。おやすみなさい',
  'the night train leaves at seven, see you there',
  '数字の列 1234567890 と絵文字 😀😃😄',
];

/** Two accounts of the tweets above: five and three. */
export const MIXED_ACCOUNTS = [
  { username: 'hiro', texts: MIXED_TWEETS.slice(0, 5) },
  { username: 'dan', texts: MIXED_TWEETS.slice(5) },
];
