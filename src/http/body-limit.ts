import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors.js';

/**
 * Request bodies read up to an endpoint's limit (SPEC §10, "precise answers"): a `Content-Length` past the limit is
 * answered 413 before a byte of the body is read, and a chunked body is cut off with 413 the moment it passes the
 * limit. body-parser can't serve here: on a too-large body it waits for the client to finish sending before it
 * answers, so `Content-Length: 1000000000000` got no answer at all.
 */

/** 413, and the connection closes after it: the rest of the body is never read, so the connection can't be reused. */
export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'too_large', `Request body too large: the limit here is ${limit} bytes`, undefined, { Connection: 'close' });
}

/** The declared `Content-Length`, or undefined when the body is chunked or absent. */
function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  return value === undefined ? undefined : Number(value);
}

/** 413 at once for a declared length past `limit`, whatever the endpoint; the body is left unread. */
export function declaredLengthGuard(limit: number): RequestHandler {
  return (req, _res, next) => {
    const length = declaredLength(req);
    next(length !== undefined && length > limit ? tooLarge(limit) : undefined);
  };
}

/**
 * Reads the whole body into `req.body` through `parse`, counting bytes as they arrive. Content codings are not
 * decoded (a gzip bomb would make any limit meaningless): a `Content-Encoding` other than identity is a 415.
 */
export function limitedBody(limit: number, parse: (body: Buffer) => unknown): RequestHandler {
  return (req, res, next) => {
    const length = declaredLength(req);
    if (length !== undefined && length > limit) return next(tooLarge(limit));
    const coding = req.headers['content-encoding'];
    if (coding !== undefined && coding.toLowerCase() !== 'identity') {
      return next(new HttpError(415, 'unsupported_encoding', `Content-Encoding ${coding.slice(0, 40)} is not accepted; send the body as is`));
    }
    readLimited(req, limit, (err, body) => {
      if (err) return next(err);
      try {
        req.body = parse(body!);
      } catch (e) {
        return next(e);
      }
      next();
    });
  };
}

function readLimited(req: Request, limit: number, done: (err: unknown, body?: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (err: unknown, body?: Buffer) => {
    if (settled) return;
    settled = true;
    req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onError);
    done(err, body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      // Stop reading: what is already buffered is dropped and the 413 goes out now, not when the client is done.
      req.pause();
      chunks.length = 0;
      return settle(tooLarge(limit));
    }
    chunks.push(chunk);
  };
  const onEnd = () => settle(undefined, Buffer.concat(chunks, size));
  const onError = () => settle(new HttpError(400, 'aborted', 'The request body was not received completely'));
  req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onError);
}

/** A JSON body (`application/json`, UTF-8) up to `limit` bytes; any other type is left for the handler's 415. */
export function jsonBody(limit: number): RequestHandler {
  const read = limitedBody(limit, (body) => {
    const text = body.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpError(400, 'bad_json', 'The body is not valid JSON');
    }
  });
  return (req, res, next) => {
    if (!req.is('application/json')) {
      const length = declaredLength(req);
      return next(length !== undefined && length > limit ? tooLarge(limit) : undefined);
    }
    read(req, res, next);
  };
}

/** Raw bytes up to `limit`, as a Buffer in `req.body`. */
export function rawBody(limit: number): RequestHandler {
  return limitedBody(limit, (body) => body);
}


