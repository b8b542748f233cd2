// The pages' #error box: what went wrong, in words, with data-kind (which part
// failed) and data-code (the server's code, when it refused something) for
// programs and tests to read.

export function showError(box, kind, text, code) {
  box.dataset.kind = kind;
  if (code) box.dataset.code = code;
  else delete box.dataset.code;
  box.textContent = text;
  box.hidden = false;
}

// Hides the box; with `kind`, only if what it shows is of that kind.
export function clearError(box, kind) {
  if (kind && box.dataset.kind !== kind) return;
  box.hidden = true;
  box.textContent = "";
  delete box.dataset.kind;
  delete box.dataset.code;
}
