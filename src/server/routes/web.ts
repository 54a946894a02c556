// The static chat page at `/` (public/index.html, chat.js, chat.css): a fixed list of files read once,
// so no request can name a path on disk.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { log } from '../../util/logging.js';

const FILES: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/chat.js': ['chat.js', 'text/javascript; charset=utf-8'],
  '/chat.css': ['chat.css', 'text/css; charset=utf-8'],
};

/** The package's public/ folder (dist/src/server/routes → ../../../../public). */
export const DEFAULT_WEB_ROOT = new URL('../../../../public/', import.meta.url).pathname;

export function registerWeb(app: FastifyInstance, root: string = DEFAULT_WEB_ROOT): void {
  if (!existsSync(join(root, 'index.html'))) {
    log.warn(`chat page not found in ${root}; / is not served`);
    return;
  }
  for (const [url, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(join(root, file));
    app.get(url, async (_req, reply) => reply.header('content-type', type).header('cache-control', 'no-cache').send(body));
  }
}
