// A local stand-in for the Hugging Face hub (node:http on 127.0.0.1): resolve URLs with 302 (absolute)
// and 307 (relative) redirects to a /cdn path, ETag / X-Linked-Etag / X-Repo-Commit headers, Range requests,
// 404 EntryNotFound, 401 for a gated repo. Hooks cut a download halfway or ignore Range. Test-only.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  commit: string;
  files: Record<string, Buffer>;
  /** Token required in "Authorization: Bearer <token>". */
  token?: string;
}

export interface RequestLog {
  method: string;
  url: string;
  range: string | undefined;
  auth: string | undefined;
}

export interface FakeHub {
  endpoint: string;
  repos: Map<string, FakeRepo>;
  log: RequestLog[];
  /** etag → number of bytes to send before destroying the socket (once per entry, then removed). */
  cutAfter: Map<string, number>;
  /** When set, /cdn ignores Range and always answers 200 with the whole file. */
  ignoreRange: boolean;
  etagOf(content: Buffer, lfs: boolean): string;
  close(): Promise<void>;
}

const isLfs = (file: string): boolean => file.endsWith('.safetensors') || file.endsWith('.bin');

export async function startFakeHub(): Promise<FakeHub> {
  const blobs = new Map<string, Buffer>();
  const hub: Omit<FakeHub, 'endpoint' | 'close'> = {
    repos: new Map(),
    log: [],
    cutAfter: new Map(),
    ignoreRange: false,
    etagOf: (content, lfs) => createHash(lfs ? 'sha256' : 'sha1').update(content).digest('hex'),
  };
  let endpoint = '';

  const serveCdn = (req: IncomingMessage, res: ServerResponse, etag: string): void => {
    const body = blobs.get(etag);
    if (!body) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (m && !hub.ignoreRange) {
      start = Number(m[1]);
      if (start >= body.length) return void res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, ETag: `"${etag}"` });
    } else {
      res.writeHead(200, { 'Content-Length': body.length, ETag: `"${etag}"`, 'Accept-Ranges': 'bytes' });
    }
    if (req.method === 'HEAD') return void res.end();
    const cut = hub.cutAfter.get(etag);
    if (cut !== undefined) {
      hub.cutAfter.delete(etag);
      res.write(body.subarray(start, start + cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body.subarray(start));
  };

  const server: Server = createServer((req, res) => {
    hub.log.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range, auth: req.headers.authorization });
    const url = new URL(req.url ?? '/', 'http://x');
    const cdn = /^\/cdn\/([0-9a-f]+)$/.exec(url.pathname);
    if (cdn) return serveCdn(req, res, cdn[1]!);
    const m = /^\/([^/]+(?:\/[^/]+)?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return void res.writeHead(404).end();
    const [, repoId, revRaw, fileRaw] = m;
    const repo = hub.repos.get(repoId!);
    if (!repo) return void res.writeHead(404, { 'X-Error-Code': 'RepoNotFound' }).end();
    if (repo.token !== undefined && req.headers.authorization !== `Bearer ${repo.token}`) {
      return void res.writeHead(401, { 'X-Error-Code': 'GatedRepo', 'X-Error-Message': 'Access to this repo is restricted' }).end();
    }
    const rev = decodeURIComponent(revRaw!);
    if (rev !== 'main' && rev !== repo.commit) return void res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end();
    const file = fileRaw!.split('/').map(decodeURIComponent).join('/');
    const content = repo.files[file];
    if (!content) return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': repo.commit }).end();
    const lfs = isLfs(file);
    const etag = hub.etagOf(content, lfs);
    blobs.set(etag, content);
    if (lfs) {
      // like the hub: redirect to the CDN (absolute URL), with the real ETag and size in X-Linked-*
      return void res
        .writeHead(302, { Location: `${endpoint}/cdn/${etag}`, 'X-Repo-Commit': repo.commit, 'X-Linked-Etag': `"${etag}"`, 'X-Linked-Size': content.length, ETag: 'W/"pointer"' })
        .end();
    }
    if (file === 'tokenizer.json') {
      // a relative redirect (followed by the metadata request too)
      return void res.writeHead(307, { Location: `/cdn/${etag}`, 'X-Repo-Commit': repo.commit }).end();
    }
    res.writeHead(200, { 'Content-Length': content.length, ETag: `W/"${etag}"`, 'X-Repo-Commit': repo.commit });
    res.end(req.method === 'HEAD' ? undefined : content);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...hub,
    get endpoint() {
      return endpoint;
    },
    get ignoreRange() {
      return hub.ignoreRange;
    },
    set ignoreRange(v: boolean) {
      hub.ignoreRange = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
