import type { RequestHandler } from 'express';
import type { Folder, Mailbox } from '../../store/types.js';
import type { MessageStore } from '../../store/message-store.js';
import { notFound } from '../errors.js';
import type { HttpContext } from '../http-context.js';

function folderView(f: Folder) {
  return {
    name: f.name,
    specialUse: f.specialUse ?? null,
    messages: f.placements.length,
    unseen: f.placements.filter((p) => !p.flags.has('\\Seen')).length,
    uidNext: f.uidNext,
    uidValidity: f.uidValidity,
  };
}

function mailboxView(store: MessageStore, mb: Mailbox) {
  const folders = [...mb.folders.values()].map(folderView);
  const ids = new Set<string>();
  for (const f of mb.folders.values()) for (const p of f.placements) ids.add(p.message.id);
  let unseen = 0;
  for (const id of ids) {
    const m = store.get(id);
    if (m && !store.isSeen(m)) unseen++;
  }
  return { address: mb.address, createdAt: mb.createdAt.toISOString(), messages: ids.size, unseen, folders };
}

/** `GET /api/v1/mailboxes`: every mailbox with its folders' counts, in address order. */
export const listMailboxes = (h: HttpContext): RequestHandler => (_req, res) => {
  const { store } = h.ctx;
  const mailboxes = store.mailboxes().sort((a, b) => a.address.localeCompare(b.address));
  res.json({ mailboxes: mailboxes.map((mb) => mailboxView(store, mb)) });
};

export const deleteMailbox = (h: HttpContext): RequestHandler => async (req, res) => {
  if (!(await h.ctx.store.exclusive(() => h.ctx.store.deleteMailbox(String(req.params.address))))) throw notFound('Mailbox');
  await h.ctx.store.durable();
  res.status(204).end();
};
