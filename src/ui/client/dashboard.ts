/**
 * The dashboard's only script, compiled with the server and served from /ui/assets/dashboard.js. Every page works
 * without it (plain links and forms); it adds confirmations, bulk selection, typed-confirmation buttons and the
 * live activity stream. Rows of the stream arrive rendered and escaped by the server.
 */
export {};

const all = <T extends Element>(selector: string, root: ParentNode = document) =>
  Array.from(root.querySelectorAll<T>(selector));

// Destructive forms ask first.
document.addEventListener('submit', (event) => {
  const form = event.target as HTMLFormElement;
  const message = (event.submitter as HTMLElement | null)?.dataset.confirm ?? form.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// GET filter forms leave empty fields out of the URL.
for (const form of all<HTMLFormElement>('form[data-clean]')) {
  form.addEventListener('submit', () => {
    for (const el of all<HTMLInputElement | HTMLSelectElement>('input[name], select[name]', form)) {
      if (el.value === '' && el.type !== 'checkbox') el.disabled = true;
    }
  });
}
// A page restored from the back-forward cache gets its fields back.
window.addEventListener('pageshow', () => {
  for (const el of all<HTMLInputElement>('form[data-clean] [disabled]')) el.disabled = false;
});

// Bulk selection: a "select all" box and a button that says how many are selected.
for (const master of all<HTMLInputElement>('input[data-select-all]')) {
  const form = master.form;
  if (!form) continue;
  const boxes = () => all<HTMLInputElement>('input[type="checkbox"][name="ids"]', form);
  const button = form.querySelector<HTMLButtonElement>('button[data-selected-label]');
  const update = () => {
    const n = boxes().filter((b) => b.checked).length;
    master.checked = n > 0 && n === boxes().length;
    master.indeterminate = n > 0 && n < boxes().length;
    if (button) {
      button.disabled = n === 0;
      button.textContent = `${button.dataset.selectedLabel} (${n})`;
    }
  };
  master.addEventListener('change', () => {
    for (const b of boxes()) b.checked = master.checked;
    update();
  });
  form.addEventListener('change', (e) => {
    if (e.target !== master) update();
  });
  update();
}

// Typed confirmation: the button stays disabled until the text matches the field it names.
for (const input of all<HTMLInputElement>('input[data-must-equal]')) {
  const target = document.getElementById(input.dataset.mustEqual ?? '') as HTMLInputElement | null;
  const button = input.form?.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (!target || !button) continue;
  const update = () => {
    button.disabled = input.value.trim() === '' || input.value.trim() !== target.value.trim();
  };
  input.addEventListener('input', update);
  target.addEventListener('input', update);
  update();
}

// The live activity stream: new events go on top of the table as the server sends them.
const rows = document.querySelector<HTMLElement>('[data-live-src]');
const status = document.getElementById('live-status');
if (rows && status) {
  const announce = document.getElementById('live-announce');
  const setStatus = (state: string, text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  const source = new EventSource(rows.dataset.liveSrc ?? '');
  source.addEventListener('ready', () => setStatus('live', 'Live: new events appear at the top'));
  source.addEventListener('activity', (event) => {
    document.getElementById('no-events')?.remove();
    rows.insertAdjacentHTML('afterbegin', (event as MessageEvent<string>).data);
    const row = rows.firstElementChild as HTMLElement | null;
    row?.classList.add('fresh');
    if (announce && row?.dataset.summary) announce.textContent = `New event: ${row.dataset.summary}`;
    while (rows.children.length > 500) rows.lastElementChild?.remove();
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself, resuming after the last event id it saw.
    setStatus('down', source.readyState === EventSource.CLOSED ? 'Disconnected: reload the page' : 'Reconnecting…');
  });
}
