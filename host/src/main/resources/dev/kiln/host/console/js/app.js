// The console's shell: a hash router (#/functions, #/functions/{s}/{f}/{tab}, #/host), the top bar
// and the login gate. Pages are modules with render(main, params) returning an optional cleanup.
import * as api from './api.js';
import { h, mount, errorBox } from './dom.js';
import { renderLogin } from './login.js';
import { renderFunctions } from './functions.js';
import { renderFunction } from './function.js';
import { renderHost } from './host.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let cleanup = null;

const routes = [
  [/^#\/login$/, () => renderLogin],
  [/^#\/functions$/, () => renderFunctions],
  [/^#\/functions\/([^/]+)\/([^/]+)(?:\/([a-z-]+))?(?:\/([^/]+))?$/, () => renderFunction],
  [/^#\/host$/, () => renderHost],
];

function route() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  let hash = location.hash || '#/functions';
  if (!api.key() && hash !== '#/login') {
    sessionStorage.setItem('kiln.after', hash);
    location.replace('#/login');
    return;
  }
  topbar.hidden = hash === '#/login';
  for (const [re, page] of routes) {
    const m = re.exec(hash);
    if (!m) continue;
    const params = m.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p)));
    document.querySelectorAll('[data-nav]').forEach((a) => {
      a.classList.toggle('active', hash.startsWith(`#/${a.dataset.nav}`));
    });
    try {
      cleanup = page()(main, params) || null;
    } catch (e) {
      mount(main, errorBox(e));
    }
    return;
  }
  mount(main, h('section.page', h('h1', 'Not found'), h('p', h('a', { href: '#/functions' }, 'Back to functions'))));
}

api.onUnauthorized(() => {
  api.clearKey();
  location.hash = '#/login';
});

document.getElementById('logout').addEventListener('click', () => {
  api.clearKey();
  location.hash = '#/login';
});

window.addEventListener('hashchange', route);
route();
