import type { PrismaPg } from '@prisma/adapter-pg';

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;
type Transaction = Awaited<ReturnType<Adapter['startTransaction']>>;

/**
 * Prisma (6.19) ends an interactive transaction by sending `COMMIT` or `ROLLBACK` and only then
 * asking the adapter to release its connection; when that statement fails (the backend was
 * terminated, Postgres restarted) the release never comes and the connection stays checked out of
 * the pool for good. Each transaction cut off that way cost one connection, and a pool that had
 * lost all of them answered every query with a connect timeout until the process restarted. Here a
 * failed `COMMIT` or `ROLLBACK` releases the connection itself (the pool drops a dead one), once.
 */
export function releaseConnectionsOfFailedTransactions(factory: PrismaPg): PrismaPg {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) =>
      releasedOnFailedEnd(await startTransaction(isolationLevel));
    return adapter;
  };
  return factory;
}

function releasedOnFailedEnd(tx: Transaction): Transaction {
  let released = false;
  const release = (end: () => Promise<void>) => async () => {
    if (released) return;
    released = true;
    await end();
  };
  const commit = release(tx.commit.bind(tx));
  const rollback = release(tx.rollback.bind(tx));
  const executeRaw = tx.executeRaw.bind(tx);
  const queryRaw = tx.queryRaw.bind(tx);
  // released, the connection may already serve someone else: nothing more may run on it
  const ended = () => new Error('this transaction has ended: its connection went back to the pool');
  tx.commit = commit;
  tx.rollback = rollback;
  tx.queryRaw = async (query) => {
    if (released) throw ended();
    return queryRaw(query);
  };
  tx.executeRaw = async (query) => {
    if (released) throw ended();
    try {
      return await executeRaw(query);
    } catch (error) {
      if (query.sql === 'COMMIT' || query.sql === 'ROLLBACK') await rollback();
      throw error;
    }
  };
  return tx;
}
