// Sign-in with an API key: checked against the API before it is kept; a refused key shows the
// API's own error and the page stays here.
import * as api from './api.js';
import { h, mount, errorBox } from './dom.js';

export function renderLogin(main) {
  const input = h('input#key', {
    type: 'password',
    name: 'key',
    autocomplete: 'current-password',
    placeholder: 'kiln_… or the admin token',
    required: true,
  });
  const status = h('div.status');
  const button = h('button.primary#login-button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form.login-card',
    {
      on: {
        submit: async (e) => {
          e.preventDefault();
          const key = input.value.trim();
          if (!key) return;
          button.disabled = true;
          mount(status, h('p.muted', 'Checking the key…'));
          try {
            // Any answer but 401 means the key is real; 403 only narrows what it may see.
            await api.call('/api/v1/services', { keyOverride: key }).catch((err) => {
              if (err.status !== 403) throw err;
            });
            api.setKey(key);
            const after = sessionStorage.getItem('kiln.after');
            sessionStorage.removeItem('kiln.after');
            location.hash = after && after !== '#/login' ? after : '#/functions';
          } catch (err) {
            mount(status, errorBox(err));
            button.disabled = false;
            input.select();
          }
        },
      },
    },
    h('div.login-brand', h('img', { src: 'favicon.svg', alt: '', width: 40, height: 40 }), h('h1', 'Kiln console')),
    h('p.muted', 'Sign in with an API key. It is kept in this tab only and sent as a Bearer token.'),
    h('label', { for: 'key' }, 'API key'),
    input,
    button,
    status,
  );
  mount(main, h('section.login', form));
  input.focus();
}
