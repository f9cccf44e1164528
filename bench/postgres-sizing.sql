-- How much Postgres holds per user, per credit and per message (README, "Postgres for a million
-- users"). On an EMPTY, migrated database of its own (it refuses any other):
--   createdb minapush_sizing && DATABASE_URL=postgresql://…/minapush_sizing npm run db:migrate
--   psql -v ON_ERROR_STOP=1 -f bench/postgres-sizing.sql postgresql://…/minapush_sizing
-- It writes 100,000 users of one app with 3 credits each (2 formIds, 1 subscribe accept) and a
-- broadcast to all of them, prints each table's size while the broadcast is queued, then sends it
-- (one attempt per message, the subscribe credits spent), compacts (VACUUM FULL) and prints again.
-- Divide by the rows, multiply by yours. About two minutes on a loaded 2-core machine.
SET client_min_messages = warning;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM app_users) OR EXISTS (SELECT 1 FROM send_credits) OR EXISTS (SELECT 1 FROM messages) THEN
    RAISE EXCEPTION 'postgres-sizing.sql writes 100,000 users: run it on an empty database of its own';
  END IF;
END $$;
-- 100,000 users of one app; openids are 28 characters, as WeChat's are
INSERT INTO app_users (app_id, openid, first_seen_at, last_seen_at)
SELECT 'wx0123456789abcdef', 'oSiz' || lpad(to_hex(g), 24, '0'), now(), now() FROM generate_series(1, 100000) g;
-- 3 credits each: 2 formIds (32 hex characters, 7 days) and 1 subscribe accept
INSERT INTO send_credits (app_id, openid, kind, form_id, template_id, uses_left, expires_at, captured_at, state, source_batch_id)
SELECT 'wx0123456789abcdef', 'oSiz' || lpad(to_hex(g), 24, '0'), 'form_id', md5('f' || g || '-' || k), NULL, 1,
       now() + interval '7 days', now(), 'available', gen_random_uuid()
FROM generate_series(1, 100000) g, generate_series(1, 2) k;
INSERT INTO send_credits (app_id, openid, kind, form_id, template_id, uses_left, expires_at, captured_at, state, source_batch_id)
SELECT 'wx0123456789abcdef', 'oSiz' || lpad(to_hex(g), 24, '0'), 'subscribe', NULL, 'Xq3tVxW4Hk2Mj-9yP7mRzLq0A1bC2dE3fG4hI5jK6lM', 1,
       NULL, now(), 'available', gen_random_uuid()
FROM generate_series(1, 100000) g;
-- one broadcast to all of them: a message each, queued in batches of 250 (as while it runs)
INSERT INTO broadcasts (id, app_id, kind, template_id, data, audience, status, total, started_at)
VALUES ('0190f0f0-0000-7000-8000-000000000001', 'wx0123456789abcdef', 'subscribe', 'Xq3tVxW4Hk2Mj-9yP7mRzLq0A1bC2dE3fG4hI5jK6lM',
        '{"thing1":{"value":"您的订单已发货"},"time2":{"value":"2026-12-02 10:00"}}', '{"type":"all"}', 'running', 100000, now());
INSERT INTO messages (id, app_id, openid, kind, template_id, data, page, status, broadcast_id, batch_id, created_at, updated_at)
SELECT minapush_uuid_v7(), 'wx0123456789abcdef', 'oSiz' || lpad(to_hex(g), 24, '0'), 'subscribe', 'Xq3tVxW4Hk2Mj-9yP7mRzLq0A1bC2dE3fG4hI5jK6lM',
       '{"thing1":{"value":"您的订单已发货"},"time2":{"value":"2026-12-02 10:00"}}', 'pages/order/detail?id=1234567',
       'queued', '0190f0f0-0000-7000-8000-000000000001', md5('batch' || (g / 250))::uuid, now(), now()
FROM generate_series(1, 100000) g;
VACUUM ANALYZE;
SELECT 'queued' AS phase, relname, n_live_tup AS rows, pg_total_relation_size(relid) AS total_bytes,
       pg_relation_size(relid) AS heap_bytes, pg_indexes_size(relid) AS index_bytes
FROM pg_stat_user_tables WHERE relname IN ('app_users','send_credits','messages','message_attempts','broadcasts') ORDER BY relname;
-- every message sent: its attempt recorded, its credit spent
INSERT INTO message_attempts (message_id, credit_id, outcome, created_at)
SELECT m.id, c.id, 'sent', now() FROM messages m JOIN send_credits c ON c.openid = m.openid AND c.kind = 'subscribe';
UPDATE messages m SET status = 'sent', sent_at = now(), attempts = 1, msgid = (2000000000000 + row_number) :: text,
       credit_id = c.id, lease_owner = gen_random_uuid(), lease_until = now(), lease_token = row_number
FROM (SELECT m2.id AS mid, c2.id, row_number() OVER () FROM messages m2 JOIN send_credits c2 ON c2.openid = m2.openid AND c2.kind = 'subscribe') c
WHERE m.id = c.mid;
UPDATE send_credits SET state = 'spent', uses_left = 0 WHERE kind = 'subscribe';
UPDATE broadcasts SET status = 'completed', finished_at = now(), fanned_out_at = now();
VACUUM FULL ANALYZE;
SELECT 'sent' AS phase, relname, n_live_tup AS rows, pg_total_relation_size(relid) AS total_bytes,
       pg_relation_size(relid) AS heap_bytes, pg_indexes_size(relid) AS index_bytes
FROM pg_stat_user_tables WHERE relname IN ('app_users','send_credits','messages','message_attempts','broadcasts') ORDER BY relname;
-- the credit-reference indexes a housekeeping delete needs
CREATE INDEX sizing_messages_credit_id ON messages (credit_id);
CREATE INDEX sizing_attempts_credit_id ON message_attempts (credit_id);
SELECT 'credit-ref indexes' AS what, pg_relation_size('sizing_messages_credit_id') AS messages_bytes, pg_relation_size('sizing_attempts_credit_id') AS attempts_bytes;
DROP INDEX sizing_messages_credit_id;
DROP INDEX sizing_attempts_credit_id;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;
