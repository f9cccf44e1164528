const { createMinapush } = require('@minapush/miniprogram-sdk');
const config = require('./config');
const { sandboxWx } = require('./sandbox-wx');

// One client for the whole mini-program. form-id-button finds it on its own.
const minapush = createMinapush({
  baseUrl: config.apiUrl,
  wx: config.sandbox ? sandboxWx(config.sandbox) : undefined,
  onError: (error) => console.warn('[minapush]', error.code, error.message),
});

// attachToApp uploads on launch and when the app hides, and sets getApp().minapush.
App(
  minapush.attachToApp({
    globalData: { openid: null },
    onLaunch() {
      minapush.login().then((outcome) => {
        if (outcome.ok) this.globalData.openid = outcome.openid;
        else console.warn('[minapush] login failed:', outcome.error.message);
      });
    },
  }),
);
