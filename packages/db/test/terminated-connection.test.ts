import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, isDatabaseUnavailable } from '../src/index.js';

// A backend terminated under a query, as `pg_terminate_backend` or a Postgres restart does it. Each
// test terminates only the backend of its own client (by pid): the suites beside it share the database.
const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/minapush_test';
// One connection, so that a connection lost for good shows at once as a connect timeout.
const db = createDatabase({ url, maxConnections: 1, connectionTimeoutMs: 2_000 });
const admin = new pg.Client({ connectionString: url });
beforeAll(() => admin.connect());
afterAll(async () => {
  await admin.end();
  await db.$disconnect();
});

const terminate = (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]);

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('the work did not fail');
}

/** A transaction whose backend is terminated while `during` runs on it. */
function terminatedTransaction(
  during: (tx: Parameters<Parameters<typeof db.$transaction>[0]>[0]) => Promise<unknown>,
) {
  return db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
    setTimeout(() => void terminate(row!.pid), 300);
    await during(tx);
  });
}

describe('a backend terminated under a query', () => {
  it('is told apart as "database unavailable", from a raw query and from a model query', async () => {
    const raw = await failureOf(terminatedTransaction((tx) => tx.$queryRaw`SELECT pg_sleep(5)`));
    expect(isDatabaseUnavailable(raw), String(raw)).toBe(true);

    const model = await failureOf(
      terminatedTransaction(async (tx) => {
        await tx.$queryRaw`SELECT pg_sleep(1)`.catch(() => undefined);
        await tx.broadcast.findFirst();
      }),
    );
    expect(isDatabaseUnavailable(model), String(model)).toBe(true);
  });

  it('gives its connection back: the pool of one serves the next query at once', async () => {
    for (let i = 0; i < 3; i += 1) {
      await failureOf(terminatedTransaction((tx) => tx.$queryRaw`SELECT pg_sleep(5)`));
      const [row] = await db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`;
      expect(row?.one).toBe(1);
    }
  });

  it('still tells a refused query from an unavailable database', async () => {
    const refused = await failureOf(db.$queryRaw`SELECT * FROM no_such_table`);
    expect(isDatabaseUnavailable(refused)).toBe(false);
  });
});
