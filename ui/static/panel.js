// js_on_load of the cited-rows panel (gr.HTML): a row opens or closes its source context.
const toggle = (row) => {
  const context = document.getElementById(row.id.replace(/^row-/, 'ctx-'));
  if (!context) return;
  context.hidden = !context.hidden;
  document.querySelectorAll('.cited-row.selected').forEach((el) => {
    el.classList.remove('selected');
    el.setAttribute('aria-selected', 'false');
  });
  row.classList.add('selected');
  row.setAttribute('aria-selected', 'true');
};
element.addEventListener('click', (event) => {
  const row = event.target.closest('tr.cited-row');
  if (row && element.contains(row)) toggle(row);
});
element.addEventListener('keydown', (event) => {
  const row = event.target.closest('tr.cited-row');
  if (row && (event.key === 'Enter' || event.key === ' ')) {
    event.preventDefault();
    toggle(row);
  }
});
