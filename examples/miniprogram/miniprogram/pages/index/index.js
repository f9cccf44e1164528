const config = require('../../config');

const app = getApp();

Page({
  data: {
    purchases: 0,
    pendingFormIds: 0,
    subscribeResult: '',
  },

  onShow() {
    this.showStatus();
  },

  // The page's own handler: form-id-button has already kept the tap's formId when this runs.
  onBuyAgain() {
    this.setData({ purchases: this.data.purchases + 1 });
    this.showStatus();
  },

  // requestSubscribe must be the first thing a tap handler does: WeChat shows its dialog only
  // when it is called straight from the tap.
  onSubscribe() {
    app.minapush.requestSubscribe([config.orderTemplateId]).then((outcome) => {
      if (!outcome.ok) {
        this.setData({ subscribeResult: outcome.error.message });
        return;
      }
      const answer = outcome.results[config.orderTemplateId];
      const where = outcome.delivered ? 'minapush has it' : 'will be sent later';
      this.setData({ subscribeResult: `${answer} (${where})` });
    });
  },

  showStatus() {
    this.setData({ pendingFormIds: app.minapush.status().pendingFormIds });
  },
});
