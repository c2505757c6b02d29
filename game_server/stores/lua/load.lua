-- load: the room state for the reducer, read at one moment, and whether a player has a seat.
-- (A script, not MULTI: redis-py 8.1's cluster client fails a transaction holding SMEMBERS or
-- HEXISTS — it passes its routing keywords to their reply callbacks; one round trip either way.)
-- KEYS[1] meta  KEYS[2] players  KEYS[3] kicked
-- ARGV[1] player id ('' : none)
-- Returns {meta (flat), seats, kicked ids, seated (0|1)}
return {redis.call('HGETALL', KEYS[1]), redis.call('HLEN', KEYS[2]),
  redis.call('SMEMBERS', KEYS[3]), redis.call('HEXISTS', KEYS[2], ARGV[1])}
