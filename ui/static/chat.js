// js_on_load of the conversation (gr.HTML): `element`, `trigger` are given by Gradio.
// [n] selects cited row n of its answer here in the browser; options and votes go to the server.
const selectCited = (turn, ref) => {
  const target = [`row-${turn}-${ref}`, `inline-${turn}-${ref}`]
    .map((id) => document.getElementById(id))
    .find((el) => el && el.offsetParent !== null);
  if (!target) return;
  document.querySelectorAll('.cited-row.selected, .cite-inline.selected').forEach((el) => {
    el.classList.remove('selected');
    el.setAttribute('aria-selected', 'false');
  });
  target.classList.add('selected');
  target.setAttribute('aria-selected', 'true');
  const context = document.getElementById(`ctx-${turn}-${ref}`);
  if (context && target.id.startsWith('row-')) context.hidden = false;
  target.scrollIntoView({block: 'center'});
  target.focus({preventScroll: true});
};
window.jixiaoSelectCited = selectCited;
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button || !element.contains(button) || button.disabled) return;
  const turn = Number(button.dataset.turn || 0);
  if (button.dataset.action === 'cite') {
    selectCited(turn, Number(button.dataset.ref));
    return;
  }
  trigger('click', {action: button.dataset.action, turn, value: button.dataset.value || ''});
});
