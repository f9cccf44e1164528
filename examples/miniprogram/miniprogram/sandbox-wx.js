// Only for running against minapush's WeChat sandbox: a wx whose login codes and subscribe
// answers come from the sandbox's control API, since the sandbox cannot check DevTools' own.
// Everything else is the real wx.

const OPENID_KEY = 'example:sandbox-openid';

function sandboxWx(sandbox) {
  let openid = wx.getStorageSync(OPENID_KEY);
  if (!openid) {
    openid = `o-example-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    wx.setStorageSync(OPENID_KEY, openid);
  }

  function control(path, data) {
    return new Promise((resolve, reject) => {
      wx.request({
        url: `${sandbox.url}/__sandbox/apps/${sandbox.appId}${path}`,
        method: 'POST',
        data,
        success: (res) =>
          res.statusCode < 300 ? resolve(res.data) : reject({ errMsg: `sandbox answered ${res.statusCode}` }),
        fail: reject,
      });
    });
  }

  return {
    request: (options) => wx.request(options),
    getStorageSync: (key) => wx.getStorageSync(key),
    setStorageSync: (key, value) => wx.setStorageSync(key, value),
    removeStorageSync: (key) => wx.removeStorageSync(key),
    login(options) {
      control('/codes', { openid }).then(
        (answer) => options.success?.({ code: answer.code }),
        (error) => options.fail?.({ errMsg: `login:fail ${error.errMsg}` }),
      );
    },
    // The user "accepts" every template: the sandbox records the right to send, as WeChat would.
    requestSubscribeMessage(options) {
      Promise.all(
        options.tmplIds.map((templateId) => control('/subscriptions', { openid, templateId })),
      ).then(
        () => {
          const results = { errMsg: 'requestSubscribeMessage:ok' };
          for (const templateId of options.tmplIds) results[templateId] = 'accept';
          options.success?.(results);
        },
        (error) => options.fail?.({ errMsg: `requestSubscribeMessage:fail ${error.errMsg}`, errCode: 20001 }),
      );
    },
  };
}

module.exports = { sandboxWx };
