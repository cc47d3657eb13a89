/**
 * The dashboard's only script, served as a file from the platform origin (static.ts; the CSP
 * allows `script-src 'self'` and nothing inline). Progressive enhancement: every form and link
 * works without it. It asks before irreversible actions (forms with data-confirm) and shows copy
 * buttons next to secrets shown once.
 */
export const DASHBOARD_JS = `'use strict';
document.addEventListener('submit', function (e) {
  var form = e.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) e.preventDefault();
});
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  var target = document.getElementById(button.dataset.copy);
  if (!target) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    var text = target.textContent.trim();
    var done = function () { button.textContent = 'Copied'; };
    var select = function () {
      var range = document.createRange();
      range.selectNodeContents(target);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      button.textContent = 'Selected: press Ctrl+C';
    };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, select);
    else select();
  });
});
`;
