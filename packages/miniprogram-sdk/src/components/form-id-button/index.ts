import { findCollector } from '../../registry.js';

let warned = false;

/**
 * A button inside a `<form report-submit="true">`: each tap gives WeChat's formId to the
 * minapush client, then fires `submit` ({ value, collected }) for the page's own handler.
 */
Component({
  externalClasses: ['button-class'],
  properties: {
    type: { type: String, value: 'default' },
    size: { type: String, value: 'default' },
    plain: { type: Boolean, value: false },
    disabled: { type: Boolean, value: false },
    loading: { type: Boolean, value: false },
    hoverClass: { type: String, value: 'button-hover' },
  },
  methods: {
    onSubmit(event: WechatMiniprogram.FormSubmit) {
      const collector = findCollector();
      if (!collector && !warned) {
        warned = true;
        console.warn('[minapush] form-id-button: call createMinapush() in app.js before pages render');
      }
      const collected = collector ? collector.collect(event) : false;
      this.triggerEvent('submit', { value: event.detail.value, collected });
    },
  },
});
