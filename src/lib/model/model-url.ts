// Where the page may download a base model from: its own origin, or the Hugging Face Hub, the
// hosts that index.html's Content-Security-Policy lets it connect to. Checked before the
// download, so a person who typed ?model=URL reads why, instead of the browser's "Failed to fetch".

/** The base model the page fine-tunes unless `?model=` says otherwise: distilgpt2 on the Hub. */
export const DEFAULT_MODEL_URL = 'https://huggingface.co/distilbert/distilgpt2/resolve/main/';

/** The Hub's hosts as the CSP's connect-src names them: huggingface.co, *.huggingface.co, *.hf.co. */
export function isHubHost(host: string): boolean {
  return host === 'huggingface.co' || host.endsWith('.huggingface.co') || host.endsWith('.hf.co');
}

/** A Hub model id, 'gpt2' or 'distilbert/distilgpt2' (no path, no URL): what the Hub, and a card's base_model, name. */
export function isHubId(s: string): boolean {
  return /^[\w-][\w.-]*(?:\/[\w-][\w.-]*)?$/.test(s) && !s.includes('..');
}

/** Why the page cannot download a model from `url` (a folder URL), or null when it can. */
export function modelUrlProblem(url: string, pageOrigin: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `the model URL "${url}" is not a URL: ?model= takes a model folder's URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return `the model URL "${url}" is not http(s): ?model= takes a model folder's URL`;
  }
  if (u.origin === pageOrigin || (u.protocol === 'https:' && isHubHost(u.hostname))) return null;
  return `the model URL ${url} is on ${u.host}: this page may download only from its own origin (${new URL(pageOrigin).host}) or the Hugging Face Hub (huggingface.co), the hosts its Content-Security-Policy allows`;
}

/**
 * The folder URL that `?model=` names: a Hub model id ('gpt2', 'distilbert/distilgpt2'), as
 * Transformers.js takes it, becomes its folder on the Hub; anything else is a URL, resolved
 * against the page ('/models/tiny/'). Left as written when it is no URL, for modelUrlProblem to name.
 */
export function resolveModelParam(param: string, pageHref: string): string {
  if (isHubId(param)) {
    return `https://huggingface.co/${param}/resolve/main/`;
  }
  try {
    return new URL(param, pageHref).href;
  } catch {
    return param;
  }
}
