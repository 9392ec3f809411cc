// Paging a list with the server's opaque tokens. A token only leads forward (to the page after the
// one that answered it), so going back pops a stack of the tokens of the pages already passed.
import { el, fill } from './dom.js';

export class Pager {
  /**
   * fetchPage(token) -> Promise of a page whose `next` is the following page's token (null on the
   * last page); showPage(page) draws it; onError(error) hears a failed fetch. `saved` is a `state`
   * kept from before (history.state).
   */
  constructor(fetchPage, showPage, { onError, back = '← Newer', forward = 'Older →', saved = null }) {
    this.fetchPage = fetchPage;
    this.showPage = showPage;
    this.onError = onError;
    this.labels = { back, forward };
    this.passed = Array.isArray(saved?.passed) ? saved.passed.filter((t) => typeof t === 'string') : [];
    this.token = typeof saved?.token === 'string' ? saved.token : '';
    this.ticket = 0;
    this.element = el('div', { class: 'pager' });
  }

  /** What to keep to show the same page again: the tokens passed and the current one. */
  get state() {
    return { passed: [...this.passed], token: this.token };
  }

  first() {
    this.passed = [];
    this.token = '';
    return this.show();
  }

  back() {
    this.token = this.passed.pop() ?? '';
    return this.show();
  }

  forward(next) {
    this.passed.push(this.token);
    this.token = next;
    return this.show();
  }

  /** Fetch and draw the current page; an answer (or error) overtaken by a later request is dropped. */
  async show() {
    const ticket = ++this.ticket;
    let found;
    try {
      found = await this.fetchPage(this.token);
    } catch (error) {
      if (ticket === this.ticket) this.onError(error);
      return;
    }
    if (ticket !== this.ticket) return;
    this.showPage(found);
    this.draw(found.next);
  }

  draw(next) {
    fill(this.element,
      el('button', { type: 'button', class: 'page-back', disabled: this.passed.length === 0, onclick: () => this.back() }, this.labels.back),
      el('span', { class: 'page-number' }, `page ${this.passed.length + 1}`),
      el('button', { type: 'button', class: 'page-forward', disabled: !next, onclick: () => this.forward(next) }, this.labels.forward));
  }
}
