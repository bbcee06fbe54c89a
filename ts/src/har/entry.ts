// One HAR 1.2 entry from a request and its response, as the outputs receive them (redacted, bodies
// decoded when decodeBodies is on). Either side may be missing: an entry then holds what is known and
// says what is not in its comment. Platform neutral (the decoder exports it).
import { fromBase64 } from '../bodies/decode.js';
import type { HttpMessage } from '../types.js';
import type { HarContent, HarCookie, HarEntry, HarNameValue, HarPostData, HarRequest, HarResponse } from './types.js';

const REDACTED = '[REDACTED]';
/** startedDateTime is required: without capture times (decoder input without times) the epoch stands in. */
const NO_TIME = '1970-01-01T00:00:00.000Z';
/** RFC 3986 characters a URL may hold outside its host; anything else is percent-encoded. */
const NOT_URI = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/g;

/** The entry for one exchange; `interim` lists the statuses of informational (1xx) responses before it. */
export function harEntry(request: HttpMessage | undefined, response: HttpMessage | undefined, interim: number[] = []): HarEntry {
  const any = request ?? response;
  if (any === undefined) throw new TypeError('harEntry: a request or a response is required');
  const notes: string[] = [];
  if (request === undefined) notes.push('response only: its request was not captured');
  if (response === undefined) notes.push('request only: no response was captured');
  if (interim.length > 0) notes.push(`after informational responses ${interim.join(', ')}`);
  const started = request?.timestamp ?? response?.timestamp;
  if (started === undefined) notes.push('no capture times');

  const reqAt = msOf(request?.timestamp);
  const respAt = msOf(response?.timestamp);
  const wait = reqAt !== null && respAt !== null ? Math.max(0, respAt - reqAt) : 0;
  const elapsed = response?.elapsedMs;
  const receive = elapsed !== undefined ? Math.max(0, elapsed - wait) : 0;

  const entry: HarEntry = {
    startedDateTime: started ?? NO_TIME,
    time: wait + receive,
    request: harRequest(request, any),
    response: harResponse(response),
    cache: {},
    // Capture sees neither DNS nor the handshake nor when the request's last byte left: the time from the
    // request's first byte to the response's first byte is all `wait`.
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait, receive },
    serverIPAddress: any.receiver.ip,
    connection: any.connectionId,
  };
  if (notes.length > 0) entry.comment = notes.join('; ');
  return entry;
}

function harRequest(m: HttpMessage | undefined, any: HttpMessage): HarRequest {
  if (m === undefined) {
    return {
      method: '', url: `${origin(any)}/`, httpVersion: `HTTP/${any.httpVersion}`, cookies: [], headers: [],
      queryString: [], headersSize: -1, bodySize: -1,
    };
  }
  const notes = messageNotes(m);
  const { url, note } = urlOf(m);
  if (note) notes.push(note);
  const query = url.indexOf('?');
  const req: HarRequest = {
    method: m.method ?? '',
    url,
    httpVersion: `HTTP/${m.httpVersion}`,
    cookies: requestCookies(m.headers.cookie),
    headers: headerList(m.headers),
    queryString: query < 0 ? [] : queryList(url.slice(query + 1)),
    headersSize: -1,
    bodySize: m.bodySize,
  };
  if (m.body !== undefined) req.postData = postData(m);
  if (notes.length > 0) req.comment = notes.join('; ');
  return req;
}

function harResponse(m: HttpMessage | undefined): HarResponse {
  if (m === undefined) {
    return {
      status: 0, statusText: '', httpVersion: '', cookies: [], headers: [], content: { size: 0, mimeType: '' },
      redirectURL: '', headersSize: -1, bodySize: -1,
    };
  }
  const notes = messageNotes(m);
  const location = m.headers.location;
  const res: HarResponse = {
    status: m.statusCode ?? 0,
    statusText: m.statusMessage ?? '',
    httpVersion: `HTTP/${m.httpVersion}`,
    cookies: responseCookies(m.headers['set-cookie']),
    headers: headerList(m.headers),
    content: content(m),
    redirectURL: typeof location === 'string' ? location : '',
    headersSize: -1,
    bodySize: m.bodySize,
  };
  if (notes.length > 0) res.comment = notes.join('; ');
  return res;
}

function messageNotes(m: HttpMessage): string[] {
  const notes: string[] = [];
  if (m.incomplete) notes.push('incomplete: cut by a gap, an eviction or a close');
  if (m.error !== undefined) notes.push(`parse error: ${m.error}`);
  if (m.upgrade !== undefined) notes.push(`switched to ${m.upgrade}`);
  return notes;
}

function bodyNotes(m: HttpMessage): string[] {
  const notes: string[] = [];
  if (m.contentEncodingRemoved !== undefined) notes.push(`${m.contentEncodingRemoved} removed`);
  else if (m.headers['content-encoding'] !== undefined) notes.push(`as on the wire: ${String(m.headers['content-encoding'])}-coded`);
  if (m.bodyDecodeError !== undefined) notes.push(m.bodyDecodeError);
  if (m.bodyTruncated) notes.push(`truncated: ${m.bodySize} bytes on the wire`);
  return notes;
}

function postData(m: HttpMessage): HarPostData {
  const p: HarPostData = { mimeType: mimeOf(m), text: m.body ?? '' };
  if (m.bodyEncoding === 'base64') p._encoding = 'base64';
  const notes = bodyNotes(m);
  if (notes.length > 0) p.comment = notes.join('; ');
  return p;
}

function content(m: HttpMessage): HarContent {
  const c: HarContent = { size: 0, mimeType: mimeOf(m) };
  if (m.body !== undefined) {
    const kept = keptBytes(m);
    // Decoded and whole: the decoded size is known, and what compression saved.
    const whole = !m.bodyTruncated && m.bodyDecodeError === undefined;
    c.size = m.contentEncodingRemoved !== undefined ? kept : m.bodySize;
    if (m.contentEncodingRemoved !== undefined && whole) c.compression = kept - m.bodySize;
    c.text = m.body;
    if (m.bodyEncoding === 'base64') c.encoding = 'base64';
  } else {
    c.size = m.bodySize;
  }
  const notes = bodyNotes(m);
  if (notes.length > 0) c.comment = notes.join('; ');
  return c;
}

function keptBytes(m: HttpMessage): number {
  if (m.body === undefined) return 0;
  if (m.bodyEncoding === 'base64') {
    try {
      return fromBase64(m.body).length;
    } catch {
      return 0;
    }
  }
  return new TextEncoder().encode(m.body).length;
}

function mimeOf(m: HttpMessage): string {
  const t = m.headers['content-type'];
  return typeof t === 'string' ? t : '';
}

function headerList(headers: HttpMessage['headers']): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) out.push({ name, value: v });
    else out.push({ name, value });
  }
  return out;
}

function requestCookies(header: string | string[] | undefined): HarCookie[] {
  if (typeof header !== 'string' || header === REDACTED) return [];
  return header.split(';').map((p) => p.trim()).filter((p) => p !== '').map(nameValue);
}

function responseCookies(header: string | string[] | undefined): HarCookie[] {
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.filter((l) => l !== REDACTED).map((line) => {
    const [first, ...attrs] = line.split(';');
    const cookie: HarCookie = nameValue(first!.trim());
    for (const a of attrs) {
      const [k, ...v] = a.trim().split('=');
      const key = k!.toLowerCase();
      if (key === 'path') cookie.path = v.join('=');
      else if (key === 'domain') cookie.domain = v.join('=');
      else if (key === 'httponly') cookie.httpOnly = true;
      else if (key === 'secure') cookie.secure = true;
    }
    return cookie;
  });
}

function nameValue(pair: string): HarCookie {
  const eq = pair.indexOf('=');
  return eq < 0 ? { name: pair, value: '' } : { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
}

function queryList(query: string): HarNameValue[] {
  return query.split('&').filter((p) => p !== '').map((p) => {
    const { name, value } = nameValue(p);
    return { name: unescapeQuery(name), value: unescapeQuery(value) };
  });
}

function unescapeQuery(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s; // not valid percent-encoding: as sent
  }
}

function origin(m: HttpMessage): string {
  const { ip, port } = m.receiver;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}${port === 80 ? '' : `:${port}`}`;
}

/** An absolute URL: the request-target as sent, on the Host the client named, else the receiver's address. */
function urlOf(m: HttpMessage): { url: string; note?: string } {
  const path = m.path ?? '/';
  const host = m.headers.host;
  const candidates: string[] = [];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) candidates.push(path);
  const target = m.method === 'CONNECT' ? '/' : path.startsWith('/') ? path : `/${path}`;
  if (typeof host === 'string' && host !== '') candidates.push(`http://${host}${target}`);
  candidates.push(`${origin(m)}${target}`);
  for (const [i, c] of candidates.entries()) {
    try {
      const u = new URL(c);
      const url = `${u.protocol}//${u.host}${(u.pathname + u.search).replace(NOT_URI, (ch) => encodeURIComponent(ch))}`;
      return i === candidates.length - 1 && typeof host === 'string' && host !== '' ? { url, note: `Host ${JSON.stringify(host.slice(0, 80))} does not form a URL` } : { url };
    } catch {
      // the next candidate
    }
  }
  return { url: `${origin(m)}/`, note: `request-target ${JSON.stringify(path.slice(0, 80))} does not form a URL` };
}

/** Milliseconds since the epoch of the message's ISO time, microseconds kept as a fraction. */
function msOf(iso: string | undefined): number | null {
  if (iso === undefined) return null;
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso);
  if (m === null) return null;
  const whole = Date.parse(`${m[1]}Z`);
  return Number.isNaN(whole) ? null : whole + (m[2] !== undefined ? Number(`0.${m[2]}`) * 1000 : 0);
}
