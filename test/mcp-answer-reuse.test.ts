import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PAGES_GET } from '../tools/pages.js';
import { DIALECTS } from './dialects.js';
import { call, connect, makeEnv, type TestEnv } from './helpers.js';

for (const dialect of DIALECTS) {
  describe(`pages_get answers an unchanged page from its finished result (${dialect})`, () => {
    let env: TestEnv;
    beforeEach(async () => {
      env = await makeEnv({ dialect });
    });
    afterEach(() => env.close());

    it('reads the page only when its version changed; every other read is the same answer', async () => {
      await env.core.pages.create(env.project, { slug: 'menu.html', content: '<p>bread</p>', meta: { title: 'Menu' } });
      const client = await connect(env.core);
      const reads = vi.spyOn(env.core.pages, 'get');
      const first = await call(client, PAGES_GET, { slug: 'menu.html' });
      expect(first.data).toMatchObject({ slug: 'menu.html', content: '<p>bread</p>', meta: { title: 'Menu' } });
      expect(reads).toHaveBeenCalledTimes(1);
      const again = await call(client, PAGES_GET, { slug: 'menu.html' });
      expect(again.raw).toEqual(first.raw);
      expect(reads).toHaveBeenCalledTimes(1);

      // include_version is a different answer, read once.
      const withVersion = await call(client, PAGES_GET, { slug: 'menu.html', include_version: true });
      expect(withVersion.data).toMatchObject({ content: '<p>bread</p>', version: 1 });
      expect(reads).toHaveBeenCalledTimes(2);

      // A write that did not pass through this server (another process, the dashboard) is seen at once.
      await env.core.pages.update(env.project, { slug: 'menu.html', content: '<p>bread and cake</p>' });
      const changed = await call(client, PAGES_GET, { slug: 'menu.html', include_version: true });
      expect(changed.data).toMatchObject({ content: '<p>bread and cake</p>', meta: { title: 'Menu' }, version: 2 });
      expect(reads).toHaveBeenCalledTimes(3);

      // An older version is read as such, never answered from the current one's result.
      const old = await call(client, PAGES_GET, { slug: 'menu.html', version: 1 });
      expect(old.data).toMatchObject({ content: '<p>bread</p>', version: 1, current: false });

      // Gone and made again under the same slug: a new page, a new answer.
      await env.core.pages.delete(env.project, 'menu.html');
      expect((await call(client, PAGES_GET, { slug: 'menu.html' })).error).toMatchObject({ type: 'NOT_FOUND' });
      await env.core.pages.create(env.project, { slug: 'menu.html', content: '<p>soup</p>' });
      expect((await call(client, PAGES_GET, { slug: 'menu.html' })).data).toMatchObject({ content: '<p>soup</p>', meta: {} });
    });
  });
}
