-- quiz: one quiz answer, once per message id, and its row for SQL in the room's outbox (in the
-- same step: an acknowledged answer is never lost).
-- KEYS[1] meta  KEYS[2] acks  KEYS[3] quiz  KEYS[4] outbox
-- ARGV[1] ttl ms  ARGV[2] ack field  ARGV[3] quiz field  ARGV[4] answer
-- ARGV[5] outbox field  ARGV[6] outbox item (JSON)
-- Returns {'dup'} | {'gone'} | {'ok'}
local done = redis.call('HGET', KEYS[2], ARGV[2])
if done then return {'dup'} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[5], ARGV[6])
redis.call('HSET', KEYS[2], ARGV[2], 'ok')
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[1]))
return {'ok'}
