import type { RequestHandler } from 'express';
import { FaultRuleError } from '../../store/fault-rule.js';
import { StoreError } from '../../store/types.js';
import { HttpError, notFound } from '../errors.js';
import type { HttpContext } from '../http-context.js';

/**
 * `POST /api/v1/faults`: 201 with the bare rule once the store keeps it (a durable or shared store has committed it);
 * a bad rule is a 400 whose error names the field (SPEC §13).
 */
export const addFault = (h: HttpContext): RequestHandler => async (req, res) => {
  let rule;
  try {
    rule = h.ctx.store.faults.add(req.body);
  } catch (err) {
    if (err instanceof FaultRuleError) throw new HttpError(400, 'invalid_rule', err.message, { field: err.field });
    throw err;
  }
  await h.ctx.store.durable();
  res.status(201).json(rule);
};

export const listFaults = (h: HttpContext): RequestHandler => (_req, res) => {
  res.json({ faults: h.ctx.store.faults.list() });
};

export const getFault = (h: HttpContext): RequestHandler => (req, res) => {
  const rule = h.ctx.store.faults.get(String(req.params.id));
  if (!rule) throw notFound('Fault rule');
  res.json(rule);
};

export const deleteFault = (h: HttpContext): RequestHandler => async (req, res) => {
  if (!h.ctx.store.faults.remove(String(req.params.id))) throw notFound('Fault rule');
  await h.ctx.store.durable();
  res.status(204).end();
};

export const clearFaults = (h: HttpContext): RequestHandler => async (_req, res) => {
  const deleted = h.ctx.store.faults.clear();
  await h.ctx.store.durable();
  res.json({ deleted });
};

/** `POST /api/v1/mailboxes/:address/folders/:folder/uidvalidity`: a new, greater UIDVALIDITY; 200 with it. */
export const renewUidValidity = (h: HttpContext): RequestHandler => async (req, res) => {
  try {
    const folder = await h.ctx.store.exclusive(() => h.ctx.store.renewUidValidity(String(req.params.address), String(req.params.folder)));
    await h.ctx.store.durable();
    res.json({ address: folder.mailbox, folder: folder.name, uidValidity: folder.uidValidity, uidNext: folder.uidNext });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'NONEXISTENT') throw notFound('Folder');
    throw err;
  }
};
