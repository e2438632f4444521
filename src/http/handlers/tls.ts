import type { RequestHandler } from 'express';
import type { HttpContext } from '../http-context.js';

/**
 * `GET /api/v1/tls/certificate`: the certificate every TLS listener presents, as PEM, so a client that verifies
 * (nodemailer's default, mbsync, fetchmail, curl) can be told to trust it. Public material, never the key.
 */
export const getCertificate = (h: HttpContext): RequestHandler => (_req, res) => {
  res.setHeader('Content-Type', 'application/x-pem-file');
  res.setHeader('Content-Disposition', 'attachment; filename="mailsandbox.pem"');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.send(h.ctx.tls.cert.endsWith('\n') ? h.ctx.tls.cert : `${h.ctx.tls.cert}\n`);
};
