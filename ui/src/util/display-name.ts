// Bidirectional controls (LRM/RLM, ALM, embeddings, overrides, isolates) make `invoice<RLO>fdp.exe` read as
// `invoiceexe.pdf`; a file name from mail is shown without them.
const bidiControls = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A name from mail (file name, Content-ID) as it should be displayed: bidi controls removed. */
export function displayName(name: string): string {
  return name.replace(bidiControls, '');
}
