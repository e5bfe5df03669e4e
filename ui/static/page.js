// Runs first in <head>, before Gradio: the page is Chinese and light whatever the browser says, and the
// few strings Gradio writes in English whatever the locale become Chinese.
(() => {
  Object.defineProperty(navigator, 'language', {get: () => 'zh-CN'});
  Object.defineProperty(navigator, 'languages', {get: () => ['zh-CN', 'zh']});
  const matchMedia = window.matchMedia.bind(window);
  window.matchMedia = (query) => matchMedia(/prefers-color-scheme:\s*dark/.test(query) ? 'not all' : query);
  const WORDS = __WORDS__;
  const ATTRIBUTES = ['aria-label', 'title', 'placeholder', 'alt', 'aria-roledescription'];
  const translate = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.nodeValue.trim();
      if (text && WORDS[text]) node.nodeValue = node.nodeValue.replace(text, WORDS[text]);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const name of ATTRIBUTES) {
      const value = node.getAttribute(name);
      if (value && WORDS[value.trim()]) node.setAttribute(name, WORDS[value.trim()]);
    }
    for (const child of node.childNodes) translate(child);
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === 'attributes' || change.type === 'characterData') translate(change.target);
      else change.addedNodes.forEach(translate);
    }
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ATTRIBUTES});
})();
