// Which model URLs the page may download from, against the Content-Security-Policy that
// index.html really declares: the check must allow what the policy allows, and say why not.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isHubHost, modelUrlProblem, resolveModelParam } from '../../src/lib/model/model-url';

const PAGE = 'http://localhost:8080';

describe('modelUrlProblem', () => {
  it('allows the page\'s own origin and the Hub over https', () => {
    for (const url of [
      'http://localhost:8080/fixtures/models/tiny/',
      'https://huggingface.co/distilbert/distilgpt2/resolve/main/',
      'https://cdn-lfs.huggingface.co/x/',
      'https://cas-bridge.xethub.hf.co/x/',
    ]) expect(modelUrlProblem(url, PAGE), url).toBeNull();
  });

  it('says why for other hosts, other schemes and non-URLs', () => {
    expect(modelUrlProblem('https://example.com/x/', PAGE)).toBe(
      'the model URL https://example.com/x/ is on example.com: this page may download only from its own origin (localhost:8080) or the Hugging Face Hub (huggingface.co), the hosts its Content-Security-Policy allows',
    );
    expect(modelUrlProblem('http://huggingface.co/x/', PAGE)).toMatch(/is on huggingface\.co: this page may download only/);
    expect(modelUrlProblem('https://huggingface.co.evil.com/x/', PAGE)).toMatch(/is on huggingface\.co\.evil\.com/);
    expect(modelUrlProblem('http://localhost:9999/x/', PAGE)).toMatch(/is on localhost:9999/);
    expect(modelUrlProblem('javascript:alert(1)', PAGE)).toBe('the model URL "javascript:alert(1)" is not http(s): ?model= takes a model folder\'s URL');
    expect(modelUrlProblem('http://[', PAGE)).toBe('the model URL "http://[" is not a URL: ?model= takes a model folder\'s URL');
  });

  it('names the Hub hosts that index.html\'s connect-src names, and no others', () => {
    const html = fs.readFileSync('index.html', 'utf8');
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1];
    const connect = csp.split(';').map((d) => d.trim().split(/\s+/)).find(([name]) => name === 'connect-src')!.slice(1);
    const hosts = connect.filter((s) => s.startsWith('https://')).map((s) => s.slice('https://'.length));
    expect(hosts.sort()).toEqual(['*.hf.co', '*.huggingface.co', 'huggingface.co']);
    for (const h of hosts) expect(isHubHost(h.replace('*', 'any')), h).toBe(true);
    for (const h of ['hf.co', 'huggingface.com', 'evilhuggingface.co', 'xhf.co']) expect(isHubHost(h), h).toBe(false);
  });
});

describe('resolveModelParam', () => {
  const page = 'http://localhost:8080/app/?model=x';
  it('takes a Hub id as Transformers.js does, to its folder on the Hub', () => {
    expect(resolveModelParam('gpt2', page)).toBe('https://huggingface.co/gpt2/resolve/main/');
    expect(resolveModelParam('distilbert/distilgpt2', page)).toBe('https://huggingface.co/distilbert/distilgpt2/resolve/main/');
    expect(resolveModelParam('openai-community/gpt2-medium', page)).toBe('https://huggingface.co/openai-community/gpt2-medium/resolve/main/');
  });
  it('resolves paths and URLs against the page, and leaves what is no URL as written', () => {
    expect(resolveModelParam('/fixtures/models/tiny/', page)).toBe('http://localhost:8080/fixtures/models/tiny/');
    expect(resolveModelParam('./models/tiny/', page)).toBe('http://localhost:8080/app/models/tiny/');
    expect(resolveModelParam('../a/b', page)).toBe('http://localhost:8080/a/b');
    expect(resolveModelParam('https://huggingface.co/gpt2/resolve/main/', page)).toBe('https://huggingface.co/gpt2/resolve/main/');
    expect(resolveModelParam('http://[', page)).toBe('http://[');
  });
});
