// The ceiling of the HTTP layer for the ingest scenario: express 5 parsing the same JSON body
// with the same limit as the ingest API, answering 202 and doing nothing else.
//   PORT=… node --import tsx bench/support/bare-express.mts
import express from 'express';

const MAX_BODY_BYTES = 64 * 1024;

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: MAX_BODY_BYTES, strict: true }));
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});
app.post('/v1/form-ids', (req, res) => {
  const formIds = (req.body as { formIds?: unknown[] } | undefined)?.formIds ?? [];
  res.status(202).json({ accepted: formIds.length, rejected: [] });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
