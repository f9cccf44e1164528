import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type * as Sdk from '../src/index.js';
import { buildPackageCopy } from './support/built-package.js';
import { ApiStandIn, FakeWx, submitEvent } from './support/fake-wx.js';

// The component is tested as it ships: built JavaScript, loaded by miniprogram-simulate through
// Node's own require, with jsdom's window, document and navigator as globals beforehand.
const nodeRequire = createRequire(import.meta.url);
type Simulate = typeof import('miniprogram-simulate');
/** The little of jsdom used here (it ships no types of its own). */
type JsdomModule = {
  JSDOM: new (html: string) => { window: Record<string, unknown> & { document: { body: unknown } } };
};

let simulate: Simulate;
let sdk: typeof Sdk;
let buttonPath: string;
let removeBuild: () => void;
let client: Sdk.Minapush | undefined;
let body: unknown;

beforeAll(() => {
  const { JSDOM } = nodeRequire('jsdom') as JsdomModule;
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  body = dom.window.document.body;
  const globals: Record<string, unknown> = {
    window: dom.window,
    document: dom.window.document,
    navigator: dom.window.navigator,
    Event: dom.window.Event,
    CustomEvent: dom.window.CustomEvent,
    Node: dom.window.Node,
    Element: dom.window.Element,
    HTMLElement: dom.window.HTMLElement,
  };
  for (const [name, value] of Object.entries(globals)) {
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  simulate = nodeRequire('miniprogram-simulate') as Simulate;

  const build = buildPackageCopy();
  removeBuild = build.remove;
  sdk = nodeRequire(join(build.dir, 'index.js')) as typeof Sdk;
  buttonPath = join(build.dir, 'components/form-id-button/index');
});

afterEach(() => {
  client?.destroy();
  client = undefined;
});

afterAll(() => removeBuild?.());

/** A page that wraps its buy button in form-id-button, with its own tap and submit handlers. */
function renderPage() {
  const buttonId = simulate.load(buttonPath);
  const handled: Array<{ type: string; detail: unknown }> = [];
  const pageId = simulate.load({
    template: `<form-id-button class="buy" type="primary" bind:submit="onSubmit"><text class="label">Buy now</text></form-id-button>`,
    usingComponents: { 'form-id-button': buttonId },
    methods: {
      onSubmit(event: { type: string; detail: unknown }) {
        handled.push({ type: event.type, detail: event.detail });
      },
    },
  });
  const page = simulate.render(pageId);
  page.attach(body as Parameters<typeof page.attach>[0]);
  const button = page.querySelector('.buy')!;
  return { page, button, handled };
}

/** What the runtime does when the user taps the submit button inside `<form report-submit>`. */
function tap(button: ReturnType<typeof renderPage>['button'], formId: string) {
  button.querySelector('.minapush-form')!.dispatchEvent('submit', submitEvent(formId));
  return simulate.sleep(0);
}

describe('form-id-button', () => {
  it('renders the slot inside a submit button of a report-submit form', () => {
    const { button } = renderPage();
    const form = button.querySelector('.minapush-form')!;
    expect(form.dom.tagName.toLowerCase()).toBe('wx-form');
    const inner = button.querySelector('.minapush-button')!;
    expect(inner.dom.tagName.toLowerCase()).toBe('wx-button');
    expect(inner.dom.parentElement).toBe(form.dom);
    expect(inner.dom.textContent).toContain('Buy now');
    // The simulator's built-in form and button ignore these attributes; the runtime needs them.
    const template = readFileSync(`${buttonPath}.wxml`, 'utf8');
    expect(template).toMatch(/<form[^>]*\breport-submit="true"[^>]*\bbindsubmit="onSubmit"/);
    expect(template).toMatch(/<button[^>]*\bform-type="submit"/);
  });

  it("hands a tap's formId to the client, and the page's own handler still runs", async () => {
    const wx = new FakeWx(new ApiStandIn().respond);
    client = sdk.createMinapush({ baseUrl: 'https://push.example.test', wx, onError: () => undefined });
    const { button, handled } = renderPage();

    await tap(button, 'form-id-from-tap');

    expect(wx.stored('minapush:form-ids')).toMatchObject({ entries: [{ value: 'form-id-from-tap' }] });
    expect(client.status().pendingFormIds).toBe(1);
    // The simulator also lets the form's own submit bubble out of the component (the runtime
    // does not: form submit events do not bubble), so look for the component's event among them.
    expect(handled).toContainEqual({ type: 'submit', detail: { value: {}, collected: true } });

    const report = await client.flush();
    expect(report).toMatchObject({ sent: 1, accepted: 1 });
    expect(wx.formIdsSent()).toEqual(['form-id-from-tap']);
  });

  it('finds the client as getApp().minapush when its own copy of the SDK has none', async () => {
    const wx = new FakeWx(new ApiStandIn().respond);
    client = sdk.createMinapush({ baseUrl: 'https://push.example.test', wx, onError: () => undefined });
    const app = client.attachToApp({});
    sdk.setCurrentCollector(undefined);
    Object.defineProperty(globalThis, 'getApp', { value: () => app, configurable: true });
    try {
      const { button, handled } = renderPage();
      await tap(button, 'form-id-via-app');
      expect(client.status().pendingFormIds).toBe(1);
      expect(handled).toContainEqual({ type: 'submit', detail: { value: {}, collected: true } });
    } finally {
      Reflect.deleteProperty(globalThis, 'getApp');
    }
  });

  it("does not collect DevTools' mock formId, and the page's handler still runs", async () => {
    const wx = new FakeWx(new ApiStandIn().respond);
    client = sdk.createMinapush({ baseUrl: 'https://push.example.test', wx, onError: () => undefined });
    const { button, handled } = renderPage();

    await tap(button, sdk.MOCK_FORM_ID);

    expect(client.status().pendingFormIds).toBe(0);
    expect(wx.stored('minapush:form-ids')).toBeUndefined();
    expect(handled).toContainEqual({ type: 'submit', detail: { value: {}, collected: false } });
  });
});
