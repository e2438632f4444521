// The web UI mirrors the server's response shapes instead of importing them (it is a separate browser build, and the
// server's types carry Node's Buffer). This file keeps the mirror honest: it is compiled by `npm run typecheck`, which
// `npm test` runs first, and fails to compile when a server shape no longer fits what the UI reads.
import type * as Server from '../../src/store/view-types.js';
import type { MimePartInfo } from '../../src/mime/structure-info.js';
import type { ListenerInfo as ServerListener, SandboxInfo as ServerInfo } from '../../src/shared/server-context.js';
import type * as Ui from '../../ui/src/api/types.js';
import type { FaultRule as ServerFaultRule } from '../../src/store/fault-rule.js';
import type { FaultHit as ServerFaultHit } from '../../src/store/fault-rules.js';

type Fits<Actual extends Expected, Expected> = [Actual, Expected];

export type UiApiContract = [
  Fits<Server.MessageSummary, Ui.MessageSummary>,
  Fits<Server.AttachmentInfo, Ui.AttachmentInfo>,
  Fits<Server.MessageDetails, Ui.MessageDetails>,
  Fits<Server.SessionSummary, Ui.SessionSummary>,
  Fits<MimePartInfo, Ui.MimePart>,
  Fits<ServerListener, Ui.ListenerInfo>,
  Fits<ServerInfo, Ui.SandboxInfo>,
  Fits<ServerFaultRule, Ui.FaultRule>,
  Fits<ServerFaultHit, Ui.FaultHit>,
];
