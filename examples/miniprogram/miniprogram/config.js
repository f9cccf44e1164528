// Where this example finds minapush. The values suit `npm start` at the repository root, which
// serves the ingest API on port 3000 and the WeChat sandbox, with a demo app, on port 3900.
module.exports = {
  apiUrl: 'http://127.0.0.1:3000',
  // The sandbox does not know DevTools' wx.login codes: while `sandbox` is set, login codes and
  // subscribe answers come from it instead (see sandbox-wx.js). Set it to null against WeChat.
  sandbox: { url: 'http://127.0.0.1:3900', appId: 'wxdemo0000000000' },
  orderTemplateId: 'demo-subscribe-order',
};
